// Event recording with client-go's aggregation: a repeat of the same event (same object, field
// path, type, reason, message and source) bumps count and lastTimestamp of the stored one.
import crypto from 'node:crypto';

let seq = 0;
import { nowRfc3339 } from './store.mjs';

export class Recorder {
  constructor(store, host) {
    this.store = store;
    this.host = host;
    this.byKey = new Map();
    for (const ev of store.listEvents(null)) this.byKey.set(keyOf(ev), ev);
  }

  /**
   * @param obj the involved object (a stored object)
   * @param opts {type, reason, message, component, fieldPath}
   */
  record(obj, { type = 'Normal', reason, message, component, fieldPath }) {
    const involvedObject = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      resourceVersion: obj.metadata.resourceVersion,
      uid: obj.metadata.uid,
    };
    if (fieldPath) involvedObject.fieldPath = fieldPath;
    if (!involvedObject.namespace) delete involvedObject.namespace;
    const host = component === 'kubelet' ? this.host : undefined;
    const probe = {
      involvedObject,
      type,
      reason,
      message,
      source: host ? { component, host } : { component },
    };
    const key = keyOf(probe);
    const now = nowRfc3339();
    let ev = this.byKey.get(key);
    if (ev) {
      ev = { ...ev, count: (ev.count ?? 1) + 1, lastTimestamp: now };
      ev.metadata = { ...ev.metadata, resourceVersion: String(Date.now()) };
    } else {
      const ns = obj.metadata.namespace ?? 'default';
      ev = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${obj.metadata.name}.${(BigInt(Date.now()) * 1_000_000n + BigInt((seq = (seq + 1) % 1_000_000))).toString(16)}`,
          namespace: ns,
          uid: crypto.randomUUID(),
          resourceVersion: String(Date.now()),
          creationTimestamp: now,
        },
        ...probe,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        eventTime: null,
        reportingComponent: component,
        reportingInstance: host ?? '',
      };
    }
    this.byKey.set(key, ev);
    this.store.writeEvent(ev);
    return ev;
  }
}

function keyOf(ev) {
  const o = ev.involvedObject;
  return JSON.stringify([
    o.uid,
    o.fieldPath ?? '',
    ev.type,
    ev.reason,
    ev.message,
    ev.source?.component,
  ]);
}
