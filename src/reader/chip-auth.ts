/**
 * Chip Authentication v1 from the terminal, ICAO 9303-11 (8th ed.) §6.2 (BSI TR-03110-1 §3.4):
 * pick the chip's static key from DG14, send our ephemeral key, and switch secure messaging to
 * the keys of the new agreement (SSC restarts at 0). The CA commands themselves still run under
 * the old keys (§6.2.3). Cryptography and command data: src/crypto/chip-auth.ts.
 *
 *   3DES: MSE:Set KAT 00 22 41 A6  91 PK_IFD [84 key ref]
 *   AES:  MSE:Set AT  00 22 41 A4  80 OID [84 key id], then GENERAL AUTHENTICATE 7C{80 PK_IFD} → 7C 00
 *
 * CA only proves the chip holds the private half of the DG14 key: it means something only once
 * DG14's hash has been checked against EF.SOD (passive authentication).
 */

import { commandApdu, INS } from '../lds/apdu.js';
import { chipAuthenticationOptions, type Dg14 } from '../lds/dg14.js';
import { ValidationError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import type { PublicKeyInfo } from '../lds/public-key.js';
import { decodeTlv } from '../lds/tlv.js';
import { readUintBE } from '../lds/bytes.js';
import {
  caTerminal,
  chipAuthProtocol,
  decodeCaGeneralAuthenticateResponse,
  encodeCaGeneralAuthenticate,
  encodeCaMseSetAt,
  encodeCaMseSetKat,
  impliedChipAuthProtocol,
  type ChipAuthProtocol,
} from '../crypto/chip-auth.js';
import { dhDomainByParameters, domainParameters, ecDomainByOid, ecDomainByParameters, i2os, type DomainParameters } from '../crypto/curves.js';
import { expectSuccess, type SecureTransport } from './secure-transport.js';

/** A public key of DG14 / DG15 with the Table 12 domain it lives on and its encoded value. */
export interface KeyOnDomain {
  readonly domain: DomainParameters;
  /** Uncompressed point (EC) or I2OS(y, |p|) (DH). */
  readonly publicKey: Uint8Array;
}

function unsupported(why: string): ValidationError {
  return new ValidationError('KEY_DOMAIN_UNSUPPORTED', why, { field: 'subjectPublicKeyInfo' });
}

/**
 * The domain of an EC or DH public key: a named curve, explicit parameters equal to a Table 12
 * set, or (9303-11 §9.5.1, App. I) AlgorithmIdentifier standardizedDomainParameters with the id.
 */
export function keyOnDomain(key: PublicKeyInfo): KeyOnDomain {
  if (key.kind === 'ec') {
    const domain = key.namedCurve !== undefined ? ecDomainByOid(key.namedCurve) : key.curve && ecDomainByParameters(key.curve);
    if (domain === undefined) throw unsupported('EC key on a curve outside 9303-11 Table 12');
    return Object.freeze({ domain, publicKey: key.point });
  }
  if (key.kind === 'dh') {
    const domain = dhDomainByParameters(key);
    if (domain === undefined) throw unsupported('DH key on a group outside 9303-11 Table 12');
    return Object.freeze({ domain, publicKey: i2os(key.y, domain.length) });
  }
  if (key.kind === 'unknown' && key.algorithm.oid === OID.standardizedDomainParameters && key.algorithm.params !== undefined) {
    const id = decodeTlv(key.algorithm.params, 'lenient');
    if (id.tag !== 0x02 || id.value.length < 1 || id.value.length > 2) throw unsupported('standardizedDomainParameters without an INTEGER id');
    return Object.freeze({ domain: domainParameters(readUintBE(id.value, 0, id.value.length)), publicKey: key.key });
  }
  throw unsupported(`a ${key.kind} key cannot be used for key agreement`);
}

/** The Chip Authentication run chosen from DG14. */
export interface ChipAuthChoice {
  readonly protocol: ChipAuthProtocol;
  readonly key: KeyOnDomain;
  readonly keyId: number | undefined;
}

const CIPHER_RANK: Readonly<Record<string, number>> = { '3DES': 1, 'AES-128': 2, 'AES-192': 3, 'AES-256': 4 };

/** The strongest usable CA key of DG14; a DG14 without one is a ValidationError (CA_NOT_OFFERED). */
export function chooseChipAuth(dg14: Dg14): ChipAuthChoice {
  const usable: ChipAuthChoice[] = [];
  for (const option of chipAuthenticationOptions(dg14)) {
    try {
      const protocol = option.info === undefined ? impliedChipAuthProtocol(option.publicKey.protocol) : chipAuthProtocol(option.info.protocol);
      const key = keyOnDomain(option.publicKey.publicKey);
      if ((key.domain.kind === 'ec') !== (protocol.agreement === 'ECDH')) continue;
      usable.push(Object.freeze({ protocol, key, keyId: option.publicKey.keyId }));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e; // unknown protocol or curve: not usable, look further
    }
  }
  const best = usable.sort((a, b) => CIPHER_RANK[b.protocol.cipher]! - CIPHER_RANK[a.protocol.cipher]!)[0];
  if (best === undefined) throw new ValidationError('CA_NOT_OFFERED', 'DG14 offers no Chip Authentication key this terminal can use', { file: 'DG14' });
  return best;
}

export interface ChipAuthOutcome {
  readonly protocol: ChipAuthProtocol;
  readonly keyId: number | undefined;
  /** The terminal's ephemeral public key that was sent. */
  readonly ephemeralPublicKey: Uint8Array;
}

export interface ChipAuthRunOptions {
  /** SK_IFD, to replay recorded traces; random otherwise. */
  readonly ephemeralKey?: Uint8Array;
}

/**
 * Runs CA over an open secure-messaging session and re-keys it on success. The caller should
 * then read a file under the new keys (a chip without the DG14 private key cannot answer).
 */
export async function performChipAuth(transport: SecureTransport, choice: ChipAuthChoice, options: ChipAuthRunOptions = {}): Promise<ChipAuthOutcome> {
  if (transport === null || typeof transport !== 'object' || typeof transport.rekey !== 'function') {
    throw new TypeError('"transport" expected a SecureTransport');
  }
  const { protocol, key, keyId } = choice;
  const { ephemeralPublicKey, keys } = caTerminal(protocol, key.domain, key.publicKey, options);
  const exchange = transport.exchange;
  if (protocol.cipher === '3DES') {
    const data = encodeCaMseSetKat(ephemeralPublicKey, keyId);
    expectSuccess(await exchange(commandApdu({ cla: 0, ins: INS.MANAGE_SECURITY_ENVIRONMENT, p1: 0x41, p2: 0xa6, data })), 'CA MSE:Set KAT');
  } else {
    const data = encodeCaMseSetAt(protocol.oid, keyId);
    expectSuccess(await exchange(commandApdu({ cla: 0, ins: INS.MANAGE_SECURITY_ENVIRONMENT, p1: 0x41, p2: 0xa4, data })), 'CA MSE:Set AT');
    const ga = commandApdu({ cla: 0, ins: INS.GENERAL_AUTHENTICATE, p1: 0, p2: 0, data: encodeCaGeneralAuthenticate(ephemeralPublicKey), ne: 256 });
    decodeCaGeneralAuthenticateResponse(expectSuccess(await exchange(ga), 'CA GENERAL AUTHENTICATE'));
  }
  // §6.2.3: from here on, the chip uses the keys derived from K with SSC = 0.
  await transport.rekey({ cipher: keys.cipher, ksEnc: keys.ksEnc, ksMac: keys.ksMac });
  return Object.freeze({ protocol, keyId, ephemeralPublicKey });
}
