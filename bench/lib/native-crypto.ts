// The node's native (OpenSSL) Ed25519 and HPKE key wrap, loaded alone from packages/node/dist (not
// through @salus/node's index, which loads the whole node): for load-client processes that only sign
// and unwrap. Typed by the declarations beside them (type-only imports, erased).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as NativeEd25519 from '../../packages/node/dist/crypto/native-ed25519.js';
import type * as NativeHpke from '../../packages/node/dist/crypto/native-hpke.js';
import { ROOT_DIR } from './paths.js';

const nodeDist = (rel: string): string => pathToFileURL(join(ROOT_DIR, 'packages', 'node', 'dist', rel)).href;

const [ed, hpke] = await Promise.all([import(nodeDist('crypto/native-ed25519.js')) as Promise<typeof NativeEd25519>, import(nodeDist('crypto/native-hpke.js')) as Promise<typeof NativeHpke>]);

export const createNativeEd25519 = ed.createNativeEd25519;
export const createNativeKeyWrap = hpke.createNativeKeyWrap;
