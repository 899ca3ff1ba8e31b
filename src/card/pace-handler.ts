/**
 * The chip's side of PACE v2 with Generic Mapping, ICAO 9303-11 (8th ed.) §4.4 and Appendix G:
 * MSE:Set AT (00 22 C1 A4) picks protocol, password and parameters; four chained GENERAL
 * AUTHENTICATE commands (10 86 00 00 ×3, then 00 86 00 00) carry the nonce, the mapping, the key
 * agreement and the tokens (§4.4.4). The steps themselves are the pure functions of
 * src/crypto/pace.ts; this module checks the APDUs around them.
 *
 * What the chip offers is what the EF.CardAccess written at personalization says: every
 * PACEInfo with Generic Mapping and standardized domain parameters (Table 12). The password is
 * the MRZ (reference 01) or the CAN (02), whichever the card was personalized with.
 *
 * Status words (BSI TR-03110-3 Appendix B, GENERAL AUTHENTICATE; 9303-11 §4.4.4): 6A80 for data
 * that is malformed or names something the card does not offer, 6A88 for a password the card
 * has no value for, 6300 "authentication failed" when the terminal's token does not verify
 * (a wrong CAN or MRZ). Every failure aborts PACE. The CAN has no retry counter: 9303-11 gives
 * none for it (TR-03110 counts only PIN attempts); the chip delays the next try instead
 * (access-attempts.ts).
 */
import { randomBytes } from 'node:crypto';
import { SW, type CommandApdu } from '../lds/apdu.js';
import { decodeCardAccess, paceOptions } from '../lds/card-access.js';
import { CancuocError } from '../lds/errors.js';
import { paceChipKeyAgreement, paceChipMap, paceChipMutualAuth, paceChipStart, paceProtocol, type PaceSetup, type PaceState } from '../crypto/pace.js';
import { decodeAuthData, decodePaceMseSetAt, encodeAuthData, PACE_GA } from '../crypto/pace-apdu.js';
import { domainParameters, groupOf } from '../crypto/curves.js';
import { SW_AUTHENTICATION_FAILED } from './access-attempts.js';
import { compressPublicKey } from '../crypto/terminal-auth.js';
import { draw, outcome, type ChipRandom, type Outcome, type RandomPurpose } from './handler-outcome.js';


/** What PACE needs from the card's memory. */
export interface PaceSecrets {
  readonly cardAccess: Uint8Array | undefined;
  readonly mrzInformation: string | undefined;
  readonly can: string | undefined;
}

const osRandom = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export class PaceHandler {
  #setup: PaceSetup | undefined;
  #state: PaceState | undefined;

  reset(): void {
    this.#setup = undefined;
    this.#state = undefined;
  }

  /** True between a successful MSE:Set AT and the end of the GENERAL AUTHENTICATE chain. */
  get active(): boolean {
    return this.#setup !== undefined;
  }

  /** MSE:Set AT for PACE (§4.4.4.1): 80 protocol OID, 83 password reference, [84 parameter id]. */
  mseSetAt(cmd: CommandApdu, secrets: PaceSecrets): Outcome {
    this.reset();
    let request;
    try {
      request = decodePaceMseSetAt(cmd.data);
    } catch (e) {
      if (e instanceof CancuocError) return outcome(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
      throw e;
    }
    const parameterId = offeredParameterId(secrets.cardAccess, request.protocol, request.parameterId);
    if (parameterId === undefined) return outcome(SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    const password =
      request.password === 'mrz' && secrets.mrzInformation !== undefined
        ? ({ kind: 'mrz', mrzInformation: secrets.mrzInformation } as const)
        : request.password === 'can' && secrets.can !== undefined
          ? ({ kind: 'can', can: secrets.can } as const)
          : undefined;
    if (password === undefined) return outcome(SW.REFERENCED_DATA_NOT_FOUND);
    this.#setup = Object.freeze({ protocol: request.protocol, parameterId, password });
    return outcome(SW.NO_ERROR);
  }

  /**
   * One GENERAL AUTHENTICATE of the chain. `chained` is CLA b5 (ISO/IEC 7816-4 §5.4.1): set on
   * the first three commands, clear on the last (§4.4.4.2).
   */
  generalAuthenticate(cmd: CommandApdu, chained: boolean, random: ChipRandom | undefined): Outcome {
    const setup = this.#setup;
    if (setup === undefined) return outcome(SW.CONDITIONS_OF_USE_NOT_SATISFIED);
    if (cmd.p1 !== 0 || cmd.p2 !== 0) return this.#fail(SW.INCORRECT_P1P2);
    const step = this.#state?.step ?? 'nonce';
    if (chained !== (step !== 'token')) return this.#fail(chained ? SW.LAST_COMMAND_OF_CHAIN_EXPECTED : SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    try {
      return this.#step(setup, step, cmd.data, random);
    } catch (e) {
      if (!(e instanceof CancuocError)) throw e;
      return this.#fail(e.code === 'PACE_TOKEN_INVALID' ? SW_AUTHENTICATION_FAILED : SW.INCORRECT_PARAMETERS_IN_DATA_FIELD);
    }
  }

  #step(setup: PaceSetup, step: string, data: Uint8Array, random: ChipRandom | undefined): Outcome {
    const scalar = (purpose: RandomPurpose): { readonly key?: Uint8Array } => {
      const length = scalarLength(setup.parameterId);
      const injected = random?.(purpose, length);
      return injected === undefined ? {} : { key: injected };
    };
    switch (step) {
      case 'nonce': {
        decodeAuthData(data, PACE_GA.nonceCommand!);
        const nonce = draw(random, 'pace-nonce', 16, osRandom);
        const r = paceChipStart(setup, { nonce });
        this.#state = r.state;
        return outcome(SW.NO_ERROR, encodeAuthData([[0x80, r.encryptedNonce]]));
      }
      case 'map': {
        const o = decodeAuthData(data, PACE_GA.mapCommand!);
        const key = scalar('pace-mapping-key').key;
        const r = paceChipMap(this.#state!, o[0x81]!, key === undefined ? {} : { mappingKey: key });
        this.#state = r.state;
        return outcome(SW.NO_ERROR, encodeAuthData([[0x82, r.mappingPublicKey]]));
      }
      case 'agree': {
        const o = decodeAuthData(data, PACE_GA.keyAgreementCommand!);
        const key = scalar('pace-ephemeral-key').key;
        const r = paceChipKeyAgreement(this.#state!, o[0x83]!, key === undefined ? {} : { ephemeralKey: key });
        this.#state = r.state;
        return outcome(SW.NO_ERROR, encodeAuthData([[0x84, r.ephemeralPublicKey]]));
      }
      default: {
        const o = decodeAuthData(data, PACE_GA.mutualAuthCommand!);
        const r = paceChipMutualAuth(this.#state!, o[0x85]!);
        this.reset();
        // §4.4.3.5 / §9.8: SM starts with the PACE session keys and SSC = 0.
        const keys = { cipher: r.result.cipher, ksEnc: r.result.ksEnc, ksMac: r.result.ksMac };
        const idPicc = compressPublicKey(r.result.protocol.agreement, r.result.chipEphemeralPublicKey);
        return outcome(SW.NO_ERROR, encodeAuthData([[0x86, r.token]]), { kind: 'open', via: 'pace', keys, idPicc });
      }
    }
  }

  #fail(sw: number): Outcome {
    this.reset();
    return outcome(sw);
  }
}

/**
 * The parameter id of the PACEInfo in EF.CardAccess for `protocol` (and `requested`, when the
 * terminal sent DO 84), if the chip can run it: Generic Mapping on Table 12 parameters.
 */
function offeredParameterId(cardAccess: Uint8Array | undefined, protocol: string, requested: number | undefined): number | undefined {
  if (cardAccess === undefined) return undefined;
  let options;
  try {
    options = paceOptions(decodeCardAccess(cardAccess).infos);
  } catch (e) {
    if (e instanceof CancuocError) return undefined;
    throw e;
  }
  const match = options.find(
    (o) =>
      o.info.protocol === protocol &&
      o.mapping === 'GM' &&
      o.standardized !== undefined &&
      (requested === undefined || o.info.parameterId === requested),
  );
  if (match === undefined || paceProtocol(protocol).mapping !== 'GM') return undefined;
  return match.info.parameterId;
}

function scalarLength(parameterId: number): number {
  const g = groupOf(domainParameters(parameterId));
  return Math.ceil(g.order.toString(16).length / 2);
}
