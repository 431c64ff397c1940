import type { FastifyRequest } from 'fastify';
import { SalusError, parseAuthorization, verifyRequest, type Ed25519, type SignedRequest } from '@salus/core';
import type { WallClock } from './route-services.js';

/**
 * Checks signed requests (core/request-auth.ts) at this node: the signature over method, path with
 * query, body hash, chain and this node's id; the clock skew; and each (key, nonce) once within
 * the skew. It lives beside the module contract so that any module's routes that take signed
 * requests can use it (records' do) without depending on the node. The nonce memory is bounded:
 * when it is full of unexpired nonces, new requests are refused (TOO_MANY_REQUESTS) rather than
 * old nonces forgotten early, which would allow replays.
 */
export class RequestGuard {
  private readonly seen = new Map<string, number>();

  /** `clock`: the node's, so a request's age and its nonce's memory follow the clock the node runs on */
  constructor(private readonly o: { chainId: string; nodeId: string; ed: Ed25519; skewMs: number; noncesMax: number; clock: WallClock }) {}

  check(req: FastifyRequest, bodyHash = ''): SignedRequest {
    const r = parseAuthorization(req.headers.authorization);
    const now = this.o.clock.now();
    if (Math.abs(now - r.at) > this.o.skewMs) {
      throw new SalusError('REQUEST_EXPIRED', `the request was signed ${Math.round((now - r.at) / 1000)} s from this node's clock; the limit is ${this.o.skewMs / 1000} s`);
    }
    verifyRequest(this.o.ed, this.o.chainId, r, { method: req.method, path: req.url, bodyHash, aud: this.o.nodeId });
    const id = `${r.key}:${r.nonce}`;
    if (this.seen.has(id)) throw new SalusError('REQUEST_EXPIRED', 'this signed request was already used');
    if (this.seen.size >= this.o.noncesMax) {
      // entries are in insertion order, which is roughly signing order: expired ones come first
      for (const [k, t] of this.seen) {
        if (now - t <= this.o.skewMs) break;
        this.seen.delete(k);
      }
      if (this.seen.size >= this.o.noncesMax) throw new SalusError('TOO_MANY_REQUESTS', 'this node holds the most signed requests it remembers within the skew window; retry shortly');
    }
    this.seen.set(id, Math.max(r.at, now - this.o.skewMs));
    return r;
  }
}

/** Bytes a key may upload per window (uploads a committed transaction never names are collected later). */
export class UploadQuota {
  private readonly used = new Map<string, { since: number; bytes: number }>();

  constructor(private readonly o: { bytesPerWindow: number; windowMs: number; clock: WallClock }) {}

  take(key: string, bytes: number): void {
    const now = this.o.clock.now();
    let u = this.used.get(key);
    if (!u || now - u.since > this.o.windowMs) {
      u = { since: now, bytes: 0 };
      this.used.set(key, u);
      if (this.used.size > 100_000) for (const [k, x] of this.used) if (now - x.since > this.o.windowMs) this.used.delete(k);
    }
    if (u.bytes + bytes > this.o.bytesPerWindow) {
      throw new SalusError('TOO_MANY_REQUESTS', `this key uploaded ${u.bytes} bytes in the last ${this.o.windowMs / 60_000} minutes; the limit is ${this.o.bytesPerWindow}`);
    }
    u.bytes += bytes;
  }
}
