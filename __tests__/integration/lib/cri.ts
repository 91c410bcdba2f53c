import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The two calls the kubelet makes to pull an image, from k8s.io/cri-api runtime/v1 api.proto
// (field numbers as there; everything else left out).
const PROTO = `syntax = "proto3";
package runtime.v1;
service ImageService {
  rpc PullImage(PullImageRequest) returns (PullImageResponse) {}
  rpc RemoveImage(RemoveImageRequest) returns (RemoveImageResponse) {}
}
message ImageSpec { string image = 1; map<string, string> annotations = 2; }
message AuthConfig {
  string username = 1; string password = 2; string auth = 3;
  string server_address = 4; string identity_token = 5; string registry_token = 6;
}
message PullImageRequest { ImageSpec image = 1; AuthConfig auth = 2; }
message PullImageResponse { string image_ref = 1; }
message RemoveImageRequest { ImageSpec image = 1; }
message RemoveImageResponse {}
`;

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;
interface ImageService extends grpc.Client {
  PullImage(req: object, opts: grpc.CallOptions, cb: Callback<{ imageRef: string }>): void;
  RemoveImage(req: object, opts: grpc.CallOptions, cb: Callback<object>): void;
}

let ctor: (new (address: string, creds: grpc.ChannelCredentials) => ImageService) | undefined;
function service() {
  if (!ctor) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cri-')), 'api.proto');
    fs.writeFileSync(file, PROTO);
    const pkg = grpc.loadPackageDefinition(loader.loadSync(file)) as unknown as {
      runtime: { v1: { ImageService: typeof ctor } };
    };
    ctor = pkg.runtime.v1.ImageService;
  }
  return ctor!;
}

/** The credentials of a kubernetes.io/dockerconfigjson secret for one registry, as the kubelet passes them. */
export interface Auth {
  username: string;
  password: string;
}

function call<T>(socket: string, fn: (c: ImageService, cb: Callback<T>) => void): Promise<T> {
  const client = new (service())(`unix://${socket}`, grpc.credentials.createInsecure());
  return new Promise<T>((resolve, reject) =>
    fn(client, (err, res) => {
      client.close();
      if (err) reject(new Error(err.details || err.message));
      else resolve(res);
    }),
  );
}

const deadline = (): grpc.CallOptions => ({ deadline: Date.now() + 60_000 });

/** Pulls through containerd's CRI plugin, which applies certs.d or the template's registry settings. */
export function criPull(socket: string, image: string, auth?: Auth): Promise<string> {
  return call<{ imageRef: string }>(socket, (c, cb) =>
    c.PullImage({ image: { image }, ...(auth ? { auth } : {}) }, deadline(), cb),
  ).then((r) => r.imageRef);
}

/** The pull's error text, or 'pulled'. */
export async function criPullOutcome(socket: string, image: string, auth?: Auth): Promise<string> {
  try {
    await criPull(socket, image, auth);
    return 'pulled';
  } catch (e) {
    return (e as Error).message;
  }
}

export async function criRemove(socket: string, image: string): Promise<void> {
  await call<object>(socket, (c, cb) => c.RemoveImage({ image: { image } }, deadline(), cb));
}
