/**
 * PACE from the terminal, ICAO 9303-11 (8th ed.) §4.4: choose a protocol from EF.CardAccess,
 * MSE:Set AT, then the four GENERAL AUTHENTICATE steps (§4.4.4.2, command chaining with CLA 10
 * for all but the last). The cryptography is src/crypto/pace.ts; this module runs the APDUs.
 *
 * Supported: Generic Mapping with the standardized domain parameters of Table 12 that
 * src/crypto/curves.ts knows (ECDH on brainpool / NIST curves, DH on the RFC 5114 groups), with
 * 3DES, AES-128, AES-192 and AES-256. A wrong CAN or MRZ shows up as the chip rejecting our
 * token (63 00) or as its token not verifying: both are ACCESS_DENIED.
 */

import { commandApdu, INS, type CommandApdu } from '../lds/apdu.js';
import { paceOptions, type PaceOption } from '../lds/card-access.js';
import { ValidationError } from '../lds/errors.js';
import type { SecurityInfos } from '../lds/security-infos.js';
import { domainParameters, type DomainParameters } from '../crypto/curves.js';
import { paceTerminalFinish, paceTerminalKeyAgreement, paceTerminalMap, paceTerminalMutualAuth, paceTerminalStart, type PacePassword, type PaceResult } from '../crypto/pace.js';
import { decodeAuthData, encodeAuthData, encodePaceMseSetAt, PACE_GA, type AuthDataSpec } from '../crypto/pace-apdu.js';
import { CardStatusError, expectSuccess, type Exchange } from './secure-transport.js';

/** The PACE run a terminal picked from EF.CardAccess. */
export interface PaceChoice {
  readonly option: PaceOption;
  readonly protocol: string;
  readonly parameterId: number;
  readonly domain: DomainParameters;
  /** Send DO 84 in MSE:Set AT: only when the card offers several parameter ids (§4.4.4.1). */
  readonly sendParameterId: boolean;
}

// Preference among what the chip offers: the strongest cipher, then ECDH over DH, then the larger group.
const CIPHER_RANK: Readonly<Record<string, number>> = { '3DES': 1, 'AES-128': 2, 'AES-192': 3, 'AES-256': 4 };

function domainOf(option: PaceOption): DomainParameters | undefined {
  const id = option.info.parameterId;
  if (option.standardized === undefined || id === undefined) return undefined;
  try {
    return domainParameters(id);
  } catch {
    return undefined; // a Table 12 id the curve table does not implement
  }
}

/**
 * Picks the best PACE protocol this terminal supports among the PACEInfos of EF.CardAccess,
 * or undefined when there is none (the caller may then fall back to BAC).
 */
export function choosePace(cardAccess: SecurityInfos): PaceChoice | undefined {
  if (cardAccess === null || typeof cardAccess !== 'object' || !Array.isArray(cardAccess.infos)) {
    throw new TypeError('"cardAccess" expected decoded SecurityInfos');
  }
  const options = paceOptions(cardAccess.infos);
  const ids = new Set(options.map((o) => o.info.parameterId));
  const usable = options.flatMap((option) => {
    const domain = domainOf(option);
    const ok = domain !== undefined && option.mapping === 'GM' && option.info.version === 2 && (domain.kind === 'ec') === (option.keyAgreement === 'ECDH');
    return ok ? [{ option, domain }] : [];
  });
  const score = (u: (typeof usable)[number]) => CIPHER_RANK[u.option.cipher]! * 1e6 + (u.domain.kind === 'ec' ? 1e5 : 0) + u.domain.bits;
  const best = usable.reduce<(typeof usable)[number] | undefined>((a, b) => (a === undefined || score(b) > score(a) ? b : a), undefined);
  if (best === undefined) return undefined;
  return Object.freeze({
    option: best.option,
    protocol: best.option.info.protocol,
    parameterId: best.domain.id,
    domain: best.domain,
    sendParameterId: ids.size > 1,
  });
}

export interface PaceRunOptions {
  /** Injected secrets (SK_map,IFD and SK_IFD), to replay the worked examples; random otherwise. */
  readonly mappingKey?: Uint8Array;
  readonly ephemeralKey?: Uint8Array;
}

export interface PaceOutcome {
  readonly protocol: 'PACE';
  readonly choice: PaceChoice;
  /** Session keys (SSC starts at zero, §9.8.2) and the ephemeral keys exchanged. */
  readonly result: PaceResult;
}

/** GENERAL AUTHENTICATE, §4.4.4.2: CLA 10 = "more commands of this chain follow". */
function generalAuthenticate(data: Uint8Array, last: boolean): CommandApdu {
  return commandApdu({ cla: last ? 0x00 : 0x10, ins: INS.GENERAL_AUTHENTICATE, p1: 0, p2: 0, data, ne: 256 });
}

const PASSWORD_NAMES = { mrz: 'MRZ', can: 'CAN' } as const;

/** Runs PACE with the chosen protocol and password; resolves with the new session keys. */
export async function performPace(exchange: Exchange, choice: PaceChoice, password: PacePassword, options: PaceRunOptions = {}): Promise<PaceOutcome> {
  if (typeof exchange !== 'function') throw new TypeError('"exchange" expected a function');
  if (choice === null || typeof choice !== 'object' || typeof choice.protocol !== 'string') {
    throw new TypeError('"choice" expected a PaceChoice (from choosePace)');
  }
  let state = paceTerminalStart({ protocol: choice.protocol, parameterId: choice.parameterId, password });

  // §4.4.4.1 MSE:Set AT 00 22 C1 A4: 80 protocol, 83 password reference, [84 parameter id].
  const mse = encodePaceMseSetAt({
    protocol: choice.protocol,
    password: password.kind,
    ...(choice.sendParameterId ? { parameterId: choice.parameterId } : {}),
  });
  expectSuccess(await exchange(commandApdu({ cla: 0, ins: INS.MANAGE_SECURITY_ENVIRONMENT, p1: 0xc1, p2: 0xa4, data: mse })), 'PACE MSE:Set AT');

  const step = async (data: Uint8Array, last: boolean, name: string, spec: AuthDataSpec | undefined) => {
    const response = await exchange(generalAuthenticate(data, last));
    if (last && response.sw !== 0x9000) {
      throw new CardStatusError('ACCESS_DENIED', `PACE failed: wrong ${PASSWORD_NAMES[password.kind]} (the chip rejected the authentication token)`, {
        step: name,
        sw: response.sw,
      });
    }
    return decodeAuthData(expectSuccess(response, name), spec!, name);
  };

  const nonce = await step(encodeAuthData([]), false, 'PACE encrypted nonce', PACE_GA.nonceResponse);
  const mapped = paceTerminalMap(state, nonce[0x80]!, options.mappingKey === undefined ? {} : { mappingKey: options.mappingKey });
  state = mapped.state;

  const map = await step(encodeAuthData([[0x81, mapped.mappingPublicKey]]), false, 'PACE map nonce', PACE_GA.mapResponse);
  const agreed = paceTerminalKeyAgreement(state, map[0x82]!, options.ephemeralKey === undefined ? {} : { ephemeralKey: options.ephemeralKey });
  state = agreed.state;

  const key = await step(encodeAuthData([[0x83, agreed.ephemeralPublicKey]]), false, 'PACE key agreement', PACE_GA.keyAgreementResponse);
  const auth = paceTerminalMutualAuth(state, key[0x84]!);

  const tokens = await step(encodeAuthData([[0x85, auth.token]]), true, 'PACE mutual authentication', PACE_GA.mutualAuthResponse);
  let result: PaceResult;
  try {
    result = paceTerminalFinish(auth.state, tokens[0x86]!);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    throw new CardStatusError('ACCESS_DENIED', `PACE failed: wrong ${PASSWORD_NAMES[password.kind]} (the chip's token does not verify)`, {
      step: 'PACE mutual authentication',
      sw: 0x9000,
    }, { cause: e });
  }
  return Object.freeze({ protocol: 'PACE' as const, choice, result });
}
