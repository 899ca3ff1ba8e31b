/**
 * Terminal Authentication version 1 from the terminal (BSI TR-03110 v1.11, EAC 1; command data
 * in src/crypto/terminal-auth.ts), after Chip Authentication in the same session: each
 * certificate of the chain under the key the chip already trusts (MSE:Set DST + PSO:Verify
 * Certificate), then MSE:Set AT with the terminal's CHR, GET CHALLENGE, and EXTERNAL
 * AUTHENTICATE with the IS key's signature over ID_PICC || r_PICC || Comp(PK~_PCD).
 * A chip that refuses a step is a CardStatusError naming it; a refused signature also ends the
 * chip's session.
 */
import { commandApdu, INS, SW } from '../lds/apdu.js';
import type { CvCertificate } from '../lds/cvc.js';
import type { Signer } from '../crypto/signer.js';
import {
  encodeKeyReference,
  psoVerifyData,
  taSign,
  taSignedData,
  TA_CHALLENGE_LENGTH,
} from '../crypto/terminal-auth.js';
import { expectSuccess, type Exchange } from './secure-transport.js';

const INS_PSO = 0x2a;

/** What the terminal proves itself with: the chain (CVCA side first, ending with the IS) and the IS key. */
export interface TerminalCredentials {
  readonly chain: readonly CvCertificate[];
  readonly is: CvCertificate;
  readonly signer: Signer;
}

export interface TerminalAuthOutcome {
  /** The chain as sent, by CHR. */
  readonly chain: readonly string[];
  readonly terminal: string;
}

export async function performTerminalAuth(
  exchange: Exchange,
  credentials: TerminalCredentials,
  idPicc: Uint8Array,
  compressedTerminalKey: Uint8Array,
): Promise<TerminalAuthOutcome> {
  const { chain, is, signer } = credentials;
  if (chain.length === 0 || chain[chain.length - 1] !== is) throw new TypeError('"chain" expected to end with the IS certificate');
  for (const cert of chain) {
    const dst = commandApdu({ cla: 0, ins: INS.MANAGE_SECURITY_ENVIRONMENT, p1: 0x81, p2: 0xb6, data: encodeKeyReference(cert.car) });
    const selected = await exchange(dst);
    // A link certificate from a CVCA this chip never knew: a newer chip trusts the new CVCA already.
    if (cert.chat.role === 'cvca' && selected.sw === SW.REFERENCED_DATA_NOT_FOUND) continue;
    expectSuccess(selected, `TA MSE:Set DST ${cert.car}`);
    const pso = commandApdu({ cla: 0, ins: INS_PSO, p1: 0x00, p2: 0xbe, data: psoVerifyData(cert) });
    expectSuccess(await exchange(pso), `TA PSO:Verify Certificate ${cert.chr}`);
  }
  const at = commandApdu({ cla: 0, ins: INS.MANAGE_SECURITY_ENVIRONMENT, p1: 0x81, p2: 0xa4, data: encodeKeyReference(is.chr) });
  expectSuccess(await exchange(at), 'TA MSE:Set AT');
  const challenge = expectSuccess(await exchange(commandApdu({ cla: 0, ins: INS.GET_CHALLENGE, p1: 0, p2: 0, ne: TA_CHALLENGE_LENGTH })), 'TA GET CHALLENGE');
  const signature = await taSign(signer, is, taSignedData(idPicc, challenge, compressedTerminalKey));
  expectSuccess(await exchange(commandApdu({ cla: 0, ins: INS.EXTERNAL_AUTHENTICATE, p1: 0, p2: 0, data: signature })), 'TA EXTERNAL AUTHENTICATE');
  return Object.freeze({ chain: Object.freeze(chain.map((c) => c.chr)), terminal: is.chr });
}
