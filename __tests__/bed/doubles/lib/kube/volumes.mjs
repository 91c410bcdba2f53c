// The persistent volume controller and the hostpath-storage addon's provisioner: claims bind
// to volumes made under $SNAP_COMMON/default-storage, released ones are reclaimed.
import fs from 'node:fs';
import { builtin } from './resources.mjs';
import { SNAP_COMMON } from './env.mjs';
import { isPodReady } from './conditions.mjs';

const COMPONENT = 'persistentvolume-controller';

const provisionerReady = (c) =>
  c.store
    .list('pods', 'kube-system')
    .some((p) => p.metadata.labels?.['k8s-app'] === 'hostpath-provisioner' && isPodReady(p));

export function volumes(c, now) {
  const pods = c.store.list('pods', null);
  for (const pvc of c.store.list('persistentvolumeclaims', null)) {
    if (pvc.status?.phase === 'Bound') continue;
    const ns = pvc.metadata.namespace;
    const name = pvc.metadata.name;
    const scName = pvc.spec.storageClassName;
    const sc = scName ? c.store.get('storageclasses', null, scName) : null;
    /** The controller's event about this claim, every 15 s at most. */
    const waiting = (why, reason, message, type) =>
      c.throttled(`pvc:${pvc.metadata.uid}:${why}`, 15_000, () =>
        c.event(pvc, COMPONENT, reason, message, type),
      );
    if (!sc) {
      const [reason, message, type] = scName
        ? ['ProvisioningFailed', `storageclass.storage.k8s.io "${scName}" not found`, 'Warning']
        : [
            'FailedBinding',
            'no persistent volumes available for this claim and no storage class is set',
            'Normal',
          ];
      waiting('nosc', reason, message, type);
      continue;
    }
    const selected = pvc.metadata.annotations?.['volume.kubernetes.io/selected-node'];
    const consumers = pods.filter(
      (p) =>
        (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === name) &&
        p.metadata.namespace === ns,
    );
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !selected) {
      if (!consumers.length)
        waiting(
          'wffc',
          'WaitForFirstConsumer',
          'waiting for first consumer to be created before binding',
        );
      continue;
    }
    if (sc.provisioner !== 'microk8s.io/hostpath' || !provisionerReady(c)) {
      waiting(
        'ext',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${sc.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      );
      continue;
    }
    provision(c, pvc, sc, now);
  }
}

function provision(c, pvc, sc, now) {
  const ns = pvc.metadata.namespace;
  const pvName = `pvc-${pvc.metadata.uid}`;
  const dir = `${SNAP_COMMON}/default-storage/${ns}-${pvc.metadata.name}-${pvName}`;
  const component = `microk8s.io/hostpath_hostpath-provisioner-${c.ctx.nodeName}`;
  c.event(
    pvc,
    component,
    'Provisioning',
    `External provisioner is provisioning volume for claim "${ns}/${pvc.metadata.name}"`,
  );
  fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
  const pv = c.create('persistentvolumes', {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: pvName,
      annotations: {
        hostPathProvisionerIdentity: c.ctx.nodeName,
        'pv.kubernetes.io/provisioned-by': 'microk8s.io/hostpath',
      },
      finalizers: ['kubernetes.io/pv-protection'],
    },
    spec: {
      accessModes: pvc.spec.accessModes,
      capacity: { storage: pvc.spec.resources.requests.storage },
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        name: pvc.metadata.name,
        namespace: ns,
        resourceVersion: pvc.metadata.resourceVersion,
        uid: pvc.metadata.uid,
      },
      hostPath: { path: dir, type: 'DirectoryOrCreate' },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: 'kubernetes.io/hostname', operator: 'In', values: [c.ctx.nodeName] },
              ],
            },
          ],
        },
      },
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata.name,
      volumeMode: pvc.spec.volumeMode ?? 'Filesystem',
    },
  });
  c.store.writeStatus('persistentvolumes', pv ?? c.store.get('persistentvolumes', null, pvName), {
    status: { phase: 'Bound', lastPhaseTransitionTime: now },
  });
  c.event(pvc, component, 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
  c.store.writeStatus('persistentvolumeclaims', pvc, {
    spec: { volumeName: pvName },
    metadata: {
      annotations: {
        ...(pvc.metadata.annotations ?? {}),
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes',
        'volume.beta.kubernetes.io/storage-provisioner': sc.provisioner,
        'volume.kubernetes.io/storage-provisioner': sc.provisioner,
      },
      finalizers: ['kubernetes.io/pvc-protection'],
    },
    status: {
      accessModes: pvc.spec.accessModes,
      capacity: { storage: pvc.spec.resources.requests.storage },
      phase: 'Bound',
    },
  });
}

/** PersistentVolumes whose claim is gone: the Delete reclaim policy removes them. */
export function reclaim(c) {
  for (const pv of c.store.list('persistentvolumes', null)) {
    const ref = pv.spec.claimRef;
    if (!ref) continue;
    const claim = c.store.getRaw('persistentvolumeclaims', ref.namespace, ref.name);
    if (claim && claim.metadata.uid === ref.uid) continue;
    if (pv.spec.persistentVolumeReclaimPolicy === 'Delete') {
      if (pv.spec.hostPath?.path?.startsWith(`${SNAP_COMMON}/default-storage/`))
        fs.rmSync(pv.spec.hostPath.path, { recursive: true, force: true });
      c.store.delete(builtin('persistentvolumes'), null, pv.metadata.name);
    } else if (pv.status?.phase !== 'Released') {
      c.store.writeStatus('persistentvolumes', pv, { status: { phase: 'Released' } });
    }
  }
}
