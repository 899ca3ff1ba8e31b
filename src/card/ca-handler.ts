/**
 * The chip's side of Chip Authentication v1, ICAO 9303-11 (8th ed.) §6.2 (APDUs §6.2.4), run
 * inside a secure-messaging session:
 *  - 3DES: MSE:Set KAT (0C 22 41 A6) with 91 <PK_IFD> [84 key reference], one command;
 *  - AES (and 3DES, as some terminals do): MSE:Set AT (0C 22 41 A4) with 80 <CA OID> [84 key id],
 *    then GENERAL AUTHENTICATE (0C 86 00 00) with 7C { 80 <PK_IFD> }, answered by 7C 00.
 * The chip answers under the old keys, then the new ones take over with SSC = 0 (§6.2.3).
 * Keys are prime-curve keys personalized with PUT DATA 00 67 (docs/perso.md).
 */
import { SW, type CommandApdu } from '../lds/apdu.js';
import { CancuocError } from '../lds/errors.js';
import { OID } from '../lds/oid.js';
import {
  caChip,
  chipAuthProtocol,
  decodeCaGeneralAuthenticate,
  decodeCaMseSetAt,
  decodeCaMseSetKat,
  encodeCaGeneralAuthenticateResponse,
  type ChipAuthProtocol,
} from '../crypto/chip-auth.js';
import { domainParameters } from '../crypto/curves.js';
import { compressPublicKey } from '../crypto/terminal-auth.js';
import { outcome, type Outcome } from './handler-outcome.js';
import type { CaKeyImage } from './image.js';

/** Every failure of the key agreement itself (bad point, wrong curve) is a data error. */
function dataError(e: unknown): Outcome {
  if (e instanceof CancuocError) return outcome(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
  throw e;
}

/** §9.2.5: with several keys the terminal names one by keyId; with one key it may leave it out. */
function findKey(keys: readonly CaKeyImage[], keyId: number | undefined): CaKeyImage | undefined {
  if (keyId === undefined) return keys.length === 1 ? keys[0] : keys.find((k) => k.keyId === undefined);
  return keys.find((k) => k.keyId === keyId);
}

function agree(protocol: ChipAuthProtocol, key: CaKeyImage, ephemeral: Uint8Array): Outcome {
  const keys = caChip(protocol, domainParameters(key.parameterId), key.privateKey, ephemeral);
  return outcome(SW.NO_ERROR, new Uint8Array(0), { kind: 'rekey', keys, terminalKey: compressPublicKey('ECDH', ephemeral) });
}

export class CaHandler {
  #pending: { readonly protocol: ChipAuthProtocol; readonly key: CaKeyImage } | undefined;

  reset(): void {
    this.#pending = undefined;
  }

  /** True between MSE:Set AT for CA and its GENERAL AUTHENTICATE. */
  get active(): boolean {
    return this.#pending !== undefined;
  }

  /** MSE:Set KAT (§6.2.4.1): the 3DES variant in one command. */
  mseSetKat(cmd: CommandApdu, keys: readonly CaKeyImage[]): Outcome {
    this.reset();
    try {
      const request = decodeCaMseSetKat(cmd.data);
      const key = findKey(keys, request.keyId);
      if (key === undefined) return outcome(SW.REFERENCED_DATA_NOT_FOUND);
      return agree(chipAuthProtocol(`${OID.idCA_ECDH}.1`), key, request.ephemeralPublicKey);
    } catch (e) {
      return dataError(e);
    }
  }

  /** MSE:Set AT for CA (§6.2.4.2): remembers protocol and key for the GENERAL AUTHENTICATE. */
  mseSetAt(cmd: CommandApdu, keys: readonly CaKeyImage[]): Outcome {
    this.reset();
    try {
      const request = decodeCaMseSetAt(cmd.data);
      if (request.protocol.agreement !== 'ECDH') return outcome(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
      const key = findKey(keys, request.keyId);
      if (key === undefined) return outcome(SW.REFERENCED_DATA_NOT_FOUND);
      this.#pending = Object.freeze({ protocol: request.protocol, key });
      return outcome(SW.NO_ERROR);
    } catch (e) {
      return dataError(e);
    }
  }

  /** GENERAL AUTHENTICATE 7C { 80 PK_IFD } → 7C 00, then the new keys. */
  generalAuthenticate(cmd: CommandApdu): Outcome {
    const pending = this.#pending;
    this.reset();
    if (pending === undefined) return outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return outcome(SW.INCORRECT_P1P2);
    try {
      const done = agree(pending.protocol, pending.key, decodeCaGeneralAuthenticate(cmd.data));
      return outcome(SW.NO_ERROR, encodeCaGeneralAuthenticateResponse(), done.session);
    } catch (e) {
      return dataError(e);
    }
  }
}
