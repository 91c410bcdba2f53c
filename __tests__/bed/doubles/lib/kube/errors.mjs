// The errors the emulated API server and kubectl raise.
import { qualifiedPlural } from './resources.mjs';

/** An API server error: HTTP code, reason (NotFound, AlreadyExists, Invalid...) and message. */
export class ApiError extends Error {
  constructor(code, reason, message) {
    super(message);
    this.code = code;
    this.reason = reason;
  }
}

export const notFound = (r, name) =>
  new ApiError(404, 'NotFound', `${qualifiedPlural(r)} "${name}" not found`);

/** A failure kubectl reports itself: its message is printed as it is. */
export class KubectlError extends Error {
  constructor(message, code = 1) {
    super(message);
    this.exitCode = code;
  }
}
