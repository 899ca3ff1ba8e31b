/**
 * Keys on a PKCS#11 token (an HSM; SoftHSM2 in tests) through pkcs11js. Key pairs are generated on
 * the token, the private half sensitive and non-extractable; signatures are made on the token over
 * a hash computed here (CKM_ECDSA, CKM_RSA_PKCS_PSS). PKCS#11 v2.40 §2.3 (ECDSA), §2.1.14 (PSS).
 */
import { createHash, createPublicKey } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { abytes } from '../lds/bytes.js';
import { CancuocError } from '../lds/errors.js';
import { encodeOidTlv } from '../lds/der.js';
import { OID } from '../lds/oid.js';
import { encodeTlv, readTlv } from '../lds/tlv.js';
import { ahash, asuite, hashLength, SUITES, type HashName, type SignatureSuite } from './algorithms.js';
import { ecdsaRawToDer, type Signer } from './signer.js';

/** Where a token lives. The PIN is never stored: it comes from the caller or CANCUOC_PKCS11_PIN. */
export interface Pkcs11TokenRef {
  readonly module: string;
  readonly tokenLabel: string;
  readonly pin?: string;
}

export interface Pkcs11Token {
  /** Generates a key pair on the token under `keyLabel` and returns its signer. */
  generateKeyPair(keyLabel: string, suite: SignatureSuite): Signer;
  /** The signer for an existing key pair labelled `keyLabel`. */
  signer(keyLabel: string, suite: SignatureSuite): Signer;
  /** Whether a private key labelled `keyLabel` exists. */
  hasKey(keyLabel: string): boolean;
  /**
   * HMAC-SHA-256 on the token (CKM_SHA256_HMAC, PKCS#11 v2.40 §2.18.4) under the generic secret
   * key labelled `keyLabel`, e.g. made with `pkcs11-tool --keygen --key-type GENERIC:32`.
   */
  hmacSha256(keyLabel: string): (data: Uint8Array) => Uint8Array;
  close(): void;
}

type Lib = pkcs11js.PKCS11;
type Handle = pkcs11js.Handle;

/**
 * Cryptoki is initialised once per library per process (PKCS#11 v2.40 §5.4: a second C_Initialize
 * fails), so every open token shares the loaded module and the last close finalises it.
 */
const loaded = new Map<string, { lib: Lib; users: number }>();

function acquire(modulePath: string): Lib {
  const entry = loaded.get(modulePath);
  if (entry !== undefined) {
    entry.users++;
    return entry.lib;
  }
  const lib = new pkcs11js.PKCS11();
  call('load', () => {
    lib.load(modulePath);
    lib.C_Initialize();
  });
  loaded.set(modulePath, { lib, users: 1 });
  return lib;
}

function release(modulePath: string): void {
  const entry = loaded.get(modulePath);
  if (entry === undefined) return;
  if (--entry.users > 0) return;
  loaded.delete(modulePath);
  entry.lib.C_Finalize();
  entry.lib.close();
}

/** Wraps a Cryptoki failure in a CancuocError with the PKCS#11 step and return-value name. */
function call<T>(step: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CancuocError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new CancuocError('PKCS11_ERROR', `PKCS#11 ${step} failed: ${msg}`, { step }, { cause: e });
  }
}

export function openPkcs11Token(ref: Pkcs11TokenRef): Pkcs11Token {
  for (const key of ['module', 'tokenLabel'] as const) {
    if (typeof ref?.[key] !== 'string' || ref[key].length === 0) throw new TypeError(`"ref.${key}" expected a string`);
  }
  const pin = ref.pin ?? process.env.CANCUOC_PKCS11_PIN;
  if (pin === undefined || pin === '') {
    throw new CancuocError('PKCS11_NO_PIN', 'no PKCS#11 user PIN: set CANCUOC_PKCS11_PIN', { step: 'login' });
  }
  const lib = acquire(ref.module);
  let session: Handle;
  try {
    const slot = findSlot(lib, ref.tokenLabel);
    session = call('open session', () => lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION));
    login(lib, session, pin);
  } catch (e) {
    release(ref.module);
    throw e;
  }
  let open = true;
  const live = (): Handle => {
    if (!open) throw new CancuocError('PKCS11_CLOSED', 'PKCS#11 token already closed', { step: 'sign' });
    return session;
  };
  return Object.freeze({
    generateKeyPair: (keyLabel: string, suite: SignatureSuite) => generateKeyPair(lib, live, alabel(keyLabel), asuite(suite)),
    signer: (keyLabel: string, suite: SignatureSuite) => tokenSigner(lib, live, alabel(keyLabel), asuite(suite)),
    hasKey: (keyLabel: string) => findObjects(lib, live(), pkcs11js.CKO_PRIVATE_KEY, alabel(keyLabel)).length > 0,
    hmacSha256: (keyLabel: string) => tokenHmac(lib, live, alabel(keyLabel)),
    close(): void {
      if (!open) return;
      open = false;
      call('close session', () => lib.C_CloseSession(session));
      release(ref.module);
    },
  });
}

function alabel(label: unknown): string {
  if (typeof label !== 'string' || label.length === 0) throw new TypeError('"keyLabel" expected a non-empty string');
  return label;
}

function findSlot(lib: Lib, tokenLabel: string): Handle {
  for (const slot of call('list slots', () => lib.C_GetSlotList(true))) {
    const info = call('token info', () => lib.C_GetTokenInfo(slot));
    if (info.label.trim() === tokenLabel) return slot;
  }
  throw new CancuocError('PKCS11_TOKEN_NOT_FOUND', `no token labelled ${JSON.stringify(tokenLabel)}`, {
    step: 'find token',
  });
}

function login(lib: Lib, session: Handle, pin: string): void {
  try {
    lib.C_Login(session, pkcs11js.CKU_USER, pin);
  } catch (e) {
    // Login state is per application and token (PKCS#11 v2.40 §5.6): a second token object is fine.
    if (e instanceof pkcs11js.Pkcs11Error && e.code === pkcs11js.CKR_USER_ALREADY_LOGGED_IN) return;
    const incorrect = e instanceof pkcs11js.Pkcs11Error && e.code === pkcs11js.CKR_PIN_INCORRECT;
    throw new CancuocError(
      incorrect ? 'PKCS11_PIN_INCORRECT' : 'PKCS11_LOGIN_FAILED',
      incorrect ? 'PKCS#11 login refused: wrong PIN' : `PKCS#11 login failed: ${(e as Error).message}`,
      { step: 'login' },
      { cause: e },
    );
  }
}

function findObjects(lib: Lib, session: Handle, cls: number, label: string): Handle[] {
  return call('find objects', () => {
    lib.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: cls },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    try {
      return lib.C_FindObjects(session, 2);
    } finally {
      lib.C_FindObjectsFinal(session);
    }
  });
}

function findOne(lib: Lib, session: Handle, cls: number, label: string, what: string): Handle {
  const found = findObjects(lib, session, cls, label);
  if (found.length !== 1) {
    throw new CancuocError(
      found.length === 0 ? 'PKCS11_KEY_NOT_FOUND' : 'PKCS11_KEY_AMBIGUOUS',
      `${found.length === 0 ? 'no' : 'more than one'} ${what} labelled ${JSON.stringify(label)}`,
      { step: 'find key' },
    );
  }
  return found[0]!;
}

function tokenHmac(lib: Lib, live: () => Handle, label: string): (data: Uint8Array) => Uint8Array {
  const key = findOne(lib, live(), pkcs11js.CKO_SECRET_KEY, label, 'secret key');
  return (data: Uint8Array) =>
    call('hmac', () => {
      const session = live();
      lib.C_SignInit(session, { mechanism: pkcs11js.CKM_SHA256_HMAC }, key);
      return new Uint8Array(lib.C_Sign(session, Buffer.from(abytes(data, 'data')), Buffer.alloc(32)));
    });
}

function generateKeyPair(lib: Lib, live: () => Handle, label: string, suite: SignatureSuite): Signer {
  const session = live();
  if (findObjects(lib, session, pkcs11js.CKO_PRIVATE_KEY, label).length > 0) {
    throw new CancuocError('PKCS11_KEY_EXISTS', `a key labelled ${JSON.stringify(label)} already exists`, {
      step: 'generate key',
    });
  }
  const params = SUITES[suite];
  const id = createHash('sha1').update(label).digest();
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_LABEL, value: label },
    { type: pkcs11js.CKA_ID, value: id },
  ];
  const verifyOnly = [
    { type: pkcs11js.CKA_VERIFY, value: true },
    { type: pkcs11js.CKA_ENCRYPT, value: false },
    { type: pkcs11js.CKA_WRAP, value: false },
  ];
  const publicTemplate =
    params.keyType === 'ec'
      ? [...common, ...verifyOnly, { type: pkcs11js.CKA_EC_PARAMS, value: curveParams(suite) }]
      : [
          ...common,
          ...verifyOnly,
          { type: pkcs11js.CKA_MODULUS_BITS, value: params.modulusBits! },
          { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([0x01, 0x00, 0x01]) },
        ];
  // The private key never leaves the token: sensitive and not extractable (PKCS#11 v2.40 §4.9).
  const privateTemplate = [
    ...common,
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SIGN, value: true },
    // signing keys only: no decrypt, unwrap or derive (tokens such as SoftHSM2 default them on)
    { type: pkcs11js.CKA_DECRYPT, value: false },
    { type: pkcs11js.CKA_UNWRAP, value: false },
    { type: pkcs11js.CKA_DERIVE, value: false },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
  ];
  const mechanism = params.keyType === 'ec' ? pkcs11js.CKM_EC_KEY_PAIR_GEN : pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN;
  call('generate key pair', () => lib.C_GenerateKeyPair(session, { mechanism }, publicTemplate, privateTemplate));
  return tokenSigner(lib, live, label, suite);
}

/** CKA_EC_PARAMS: the DER of the named curve's OID (PKCS#11 v2.40 §2.3.3, X9.62 ECParameters). */
function curveParams(suite: SignatureSuite): Buffer {
  return Buffer.from(encodeOidTlv(SUITES[suite].curveOid!));
}

function tokenSigner(lib: Lib, session: () => Handle, label: string, suite: SignatureSuite): Signer {
  const params = SUITES[suite];
  const publicKeySpki = readPublicKey(lib, session(), label, suite);
  const privateKey = findOne(lib, session(), pkcs11js.CKO_PRIVATE_KEY, label, 'private key');
  return Object.freeze({
    suite,
    publicKeySpki,
    async sign(data: Uint8Array, hash: HashName): Promise<Uint8Array> {
      abytes(data, 'data');
      ahash(hash);
      const digest = createHash(hash).update(data).digest();
      const s = session();
      return call('sign', () => {
        if (params.keyType === 'ec') {
          lib.C_SignInit(s, { mechanism: pkcs11js.CKM_ECDSA }, privateKey);
          return ecdsaRawToDer(lib.C_Sign(s, digest, Buffer.alloc(2 * params.fieldBytes!)));
        }
        lib.C_SignInit(s, { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter: pssParams(hash) }, privateKey);
        return new Uint8Array(lib.C_Sign(s, digest, Buffer.alloc(params.modulusBits! / 8)));
      });
    },
  });
}

const PSS_HASH: Readonly<Record<HashName, [number, number]>> = Object.freeze({
  sha1: [pkcs11js.CKM_SHA_1, pkcs11js.CKG_MGF1_SHA1],
  sha224: [pkcs11js.CKM_SHA224, pkcs11js.CKG_MGF1_SHA224],
  sha256: [pkcs11js.CKM_SHA256, pkcs11js.CKG_MGF1_SHA256],
  sha384: [pkcs11js.CKM_SHA384, pkcs11js.CKG_MGF1_SHA384],
  sha512: [pkcs11js.CKM_SHA512, pkcs11js.CKG_MGF1_SHA512],
});

/** CK_RSA_PKCS_PSS_PARAMS matching RFC 4055 §3.1 as cancuoc writes it: MGF1 of the hash, salt = hash length. */
function pssParams(hash: HashName): pkcs11js.RsaPSS {
  const [hashAlg, mgf] = PSS_HASH[hash];
  return { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg, mgf, saltLen: hashLength(hash) };
}

/** The public half as a DER SubjectPublicKeyInfo (RFC 5480 §2 for EC, RFC 3279 §2.3.1 for RSA). */
function readPublicKey(lib: Lib, session: Handle, label: string, suite: SignatureSuite): Uint8Array {
  const params = SUITES[suite];
  const handle = findOne(lib, session, pkcs11js.CKO_PUBLIC_KEY, label, 'public key');
  if (params.keyType === 'rsa') {
    const [n, e] = call('read public key', () =>
      lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]),
    );
    const jwk = { kty: 'RSA', n: (n!.value as Buffer).toString('base64url'), e: (e!.value as Buffer).toString('base64url') };
    const spki = new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
    if ((n!.value as Buffer).length * 8 !== params.modulusBits) {
      throw new CancuocError('PKCS11_KEY_MISMATCH', `key ${JSON.stringify(label)} is not ${suite}`, { step: 'find key' });
    }
    return spki;
  }
  const [ecParams, ecPoint] = call('read public key', () =>
    lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_EC_PARAMS }, { type: pkcs11js.CKA_EC_POINT }]),
  );
  if (!(ecParams!.value as Buffer).equals(curveParams(suite))) {
    throw new CancuocError('PKCS11_KEY_MISMATCH', `key ${JSON.stringify(label)} is not on the curve of ${suite}`, {
      step: 'find key',
    });
  }
  const point = uncompressedPoint(new Uint8Array(ecPoint!.value as Buffer), params.fieldBytes!);
  const algorithm = encodeTlv(0x30, encodeOidTlv(OID.ecPublicKey), encodeOidTlv(params.curveOid!));
  return encodeTlv(0x30, algorithm, encodeTlv(0x03, Uint8Array.of(0), point));
}

/** CKA_EC_POINT is DER OCTET STRING per PKCS#11 v2.40 §2.3.3; some tokens return the bare point. */
function uncompressedPoint(value: Uint8Array, fieldBytes: number): Uint8Array {
  const bare = 1 + 2 * fieldBytes;
  const point = value.length === bare ? value : readTlv(value, 0, 'der').value;
  if (point.length !== bare || point[0] !== 0x04) {
    throw new CancuocError('PKCS11_BAD_EC_POINT', `CKA_EC_POINT is not an uncompressed point of ${bare} bytes`, {
      step: 'read public key',
    });
  }
  return point;
}
