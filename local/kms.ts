import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { AwsApiError } from './service-catalog';

/**
 * KMS's asymmetric signing API (awsJson1_1, `TrentService.<Op>`) for the evidence key: Sign, Verify and GetPublicKey
 * with a real ECDSA P-256 key, so what local mode signs verifies with openssl and the public key as AWS returns it
 * (DER SubjectPublicKeyInfo; DER signatures, as ANSI X9.62 / RFC 3279 encode them). Node's crypto always hashes what
 * it signs; KMS's MessageType DIGEST signs a digest as given, so ECDSA itself is computed here (P-256, affine BigInt).
 */

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};
type Point = { x: bigint; y: bigint } | null;

const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
function inverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a, m), m, 1n, 0n];
  while (r1) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return mod(s0, m);
}
function add(p1: Point, p2: Point): Point {
  if (!p1) return p2;
  if (!p2) return p1;
  if (p1.x === p2.x && mod(p1.y + p2.y, P) === 0n) return null;
  const slope = p1.x === p2.x ? mod((3n * p1.x * p1.x + A) * inverse(2n * p1.y, P), P) : mod((p2.y - p1.y) * inverse(p2.x - p1.x, P), P);
  const x = mod(slope * slope - p1.x - p2.x, P);
  return { x, y: mod(slope * (p1.x - x) - p1.y, P) };
}
function multiply(k: bigint, point: Point): Point {
  let result: Point = null;
  let addend = point;
  for (let e = k; e > 0n; e >>= 1n) {
    if (e & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

const toBigInt = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
const fromB64url = (text: string) => toBigInt(Buffer.from(text, 'base64url'));

/** A DER INTEGER's content: big-endian, with a 0 byte first when its top bit is set. */
function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  const content = bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  return Buffer.concat([Buffer.from([0x02, content.length]), content]);
}
const derSignature = (r: bigint, s: bigint) => {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
};
function parseDerSignature(der: Buffer): { r: bigint; s: bigint } | undefined {
  if (der[0] !== 0x30 || der[1] !== der.length - 2 || der[2] !== 0x02) return undefined;
  const rLength = der[3]!;
  const sAt = 4 + rLength;
  if (der[sAt] !== 0x02 || sAt + 2 + der[sAt + 1]! !== der.length) return undefined;
  return { r: toBigInt(der.subarray(4, sAt)), s: toBigInt(der.subarray(sAt + 2)) };
}

/** ECDSA over a SHA-256 digest (a P-256 order is 256 bits: the digest is used whole). */
export function signDigest(digest: Buffer, privateScalar: bigint): Buffer {
  const z = toBigInt(digest);
  for (;;) {
    const k = mod(toBigInt(randomBytes(32)), N);
    if (k === 0n) continue;
    const r = mod(multiply(k, G)!.x, N);
    const s = mod(inverse(k, N) * (z + r * privateScalar), N);
    if (r && s) return derSignature(r, s);
  }
}

export function verifyDigest(digest: Buffer, signature: Buffer, publicPoint: { x: bigint; y: bigint }): boolean {
  const parsed = parseDerSignature(signature);
  if (!parsed) return false;
  const { r, s } = parsed;
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const w = inverse(s, N);
  const point = add(multiply(mod(toBigInt(digest) * w, N), G), multiply(mod(r * w, N), publicPoint));
  return point !== null && mod(point.x, N) === r;
}

interface SigningKey {
  arn: string;
  publicKey: KeyObject;
  scalar: bigint;
  point: { x: bigint; y: bigint };
}

const ALGORITHM = 'ECDSA_SHA_256';

export class KmsEmulator {
  private readonly keys: SigningKey[];

  /** One P-256 key pair per signing key ARN the template has, made when local mode starts (gone when it stops). */
  constructor(keyArns: string[]) {
    this.keys = keyArns.map((arn) => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = privateKey.export({ format: 'jwk' });
      return { arn, publicKey, scalar: fromB64url(jwk.d!), point: { x: fromB64url(jwk.x!), y: fromB64url(jwk.y!) } };
    });
  }

  handle(operation: string, input: Record<string, unknown>): unknown {
    const key = this.keyOf(input.KeyId);
    switch (operation) {
      case 'GetPublicKey':
        return {
          KeyId: key.arn,
          PublicKey: key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
          KeySpec: 'ECC_NIST_P256',
          KeyUsage: 'SIGN_VERIFY',
          SigningAlgorithms: [ALGORITHM],
        };
      case 'Sign': {
        const digest = this.digestOf(input);
        return { KeyId: key.arn, Signature: signDigest(digest, key.scalar).toString('base64'), SigningAlgorithm: ALGORITHM };
      }
      case 'Verify': {
        const digest = this.digestOf(input);
        if (!verifyDigest(digest, Buffer.from(String(input.Signature ?? ''), 'base64'), key.point)) {
          throw new AwsApiError('KMSInvalidSignatureException', 'The signature is not valid');
        }
        return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: ALGORITHM };
      }
      default:
        throw new AwsApiError('UnknownOperationException', `KMS ${operation} is not emulated by local mode`);
    }
  }

  /** The public key as a KeyObject, for tests. */
  publicKeyOf(keyId: string): KeyObject {
    return createPublicKey(this.keyOf(keyId).publicKey.export({ type: 'spki', format: 'pem' }));
  }

  private keyOf(keyId: unknown): SigningKey {
    const id = String(keyId ?? '');
    const key = this.keys.find((k) => k.arn === id || k.arn.split('/').pop() === id);
    if (!key) throw new AwsApiError('NotFoundException', `Key '${id}' does not exist`);
    return key;
  }

  /** The digest Sign and Verify work on: given (DIGEST, 32 bytes for ECDSA_SHA_256) or the SHA-256 of the raw message. */
  private digestOf(input: Record<string, unknown>): Buffer {
    if (input.SigningAlgorithm !== ALGORITHM) {
      throw new AwsApiError(
        'ValidationException',
        `SigningAlgorithm must be ${ALGORITHM} for an ECC_NIST_P256 key (got ${String(input.SigningAlgorithm)})`,
      );
    }
    const message = Buffer.from(String(input.Message ?? ''), 'base64');
    if (input.MessageType === 'DIGEST') {
      if (message.length !== 32) throw new AwsApiError('ValidationException', 'Digest is invalid length for algorithm ECDSA_SHA_256.');
      return message;
    }
    if (message.length > 4096) throw new AwsApiError('ValidationException', 'Message must be at most 4096 bytes; use MessageType DIGEST');
    return createHash('sha256').update(message).digest();
  }
}
