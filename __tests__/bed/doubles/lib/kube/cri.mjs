// A CRI image-service client: the calls the kubelet makes to containerd's CRI plugin.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dep } from './deps.mjs';

const grpc = dep('@grpc/grpc-js');
const protoLoader = dep('@grpc/proto-loader');

const PROTO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cri-api.proto');

// google.golang.org/grpc/codes Code.String(), which the kubelet's error text carries.
const CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

let ImageService;
function service() {
  if (!ImageService) {
    const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: String, defaults: true });
    ImageService = grpc.loadPackageDefinition(def).runtime.v1.ImageService;
  }
  return ImageService;
}

/** An error as the kubelet's remote image service returns it (codes.Unknown is unwrapped). */
export class CriError extends Error {
  constructor(code, desc) {
    const name = CODE_NAMES[code] ?? `Code(${code})`;
    // k8s pkg/kubelet/cri/remote/remote_image.go strips the code from Unknown status errors.
    super(code === 2 ? desc : `rpc error: code = ${name} desc = ${desc}`);
    this.code = code;
    this.desc = desc;
  }
}

function toCriError(err, socket) {
  if (err.code === 14) {
    return new CriError(
      14,
      `connection error: desc = "transport: Error while dialing: dial unix ${socket}: connect: ${
        /ENOENT/.test(err.details ?? '') ? 'no such file or directory' : 'connection refused'
      }"`,
    );
  }
  return new CriError(err.code ?? 2, err.details ?? String(err.message));
}

export class CriImageClient {
  constructor(socket) {
    this.socket = socket;
    this.client = new (service())(`unix://${socket}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
    });
  }

  call(method, req, timeoutMs) {
    return new Promise((resolve, reject) => {
      this.client[method](req, { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(toCriError(err, this.socket)) : resolve(res),
      );
    });
  }

  /** The image if containerd has it, else null. */
  async imageStatus(image) {
    const res = await this.call('ImageStatus', { image: { image } }, 10_000);
    return res.image && res.image.id ? res.image : null;
  }

  /** Pulls through the CRI plugin (which applies certs.d/hosts.toml); returns the image ref. */
  async pullImage(image, auth) {
    const req = { image: { image } };
    if (auth) req.auth = auth;
    const res = await this.call('PullImage', req, 10 * 60_000);
    return res.imageRef;
  }

  close() {
    this.client.close();
  }
}
