/**
 * ICAO 9303-11 §9.8 secure messaging with AES (IV = E(KSenc, SSC), CMAC truncated to 8 bytes) and
 * the key changes of Chip Authentication, replayed from the real traces in icao-worked-examples
 * §3 and §5.3 (gmrtd test data) on both the terminal and the chip side.
 */
import { describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import { concat, fromHex, hex } from '../../../src/lds/bytes.js';
import { commandApdu, decodeCommandApdu, encodeCommandApdu, type CommandApdu } from '../../../src/lds/apdu.js';
import { encryptBlock, type CipherName } from '../../../src/crypto/cipher.js';
import { SecureMessaging } from '../../../src/crypto/secure-messaging.js';

function ssc(cipher: CipherName, last: string): Uint8Array {
  const out = new Uint8Array(cipher === '3DES' ? 8 : 16);
  out.set(fromHex(last), out.length - last.length / 2);
  return out;
}

function sm(cipher: CipherName, ksEnc: string, ksMac: string, start: string): SecureMessaging {
  return new SecureMessaging({ cipher, ksEnc: fromHex(ksEnc), ksMac: fromHex(ksMac), ssc: ssc(cipher, start) });
}

const plain = (h: string): CommandApdu => decodeCommandApdu(fromHex(h));
const wire = (c: CommandApdu): string => hex(encodeCommandApdu(c));

describe('AES-256 read of EF.COM (icao-worked-examples §3.1, gmrtd TestNfcSessionSecureMessagingAES)', () => {
  const KS_ENC = '74B94F408BBB2CD92571FD5B6370A94CCE7A2FA42AE3EB4DA47B97CE6EAA24C6';
  const KS_MAC = '9E28D5D9FF1D979BE752E8926BF0E1D35A440FC0AEFC4AA3BC5610055AC8B113';
  const steps = [
    ['00A4020C02011E', '0ca4020c1d8711011d35e7eb510e21a0dd12380d9ad2b92d8e0828cb68b81d3fafc000', '990290008E08E083EAA61ADABFCE9000', ''],
    ['00B0000004', '0cb000000d9701048e084afc933e0cdbe5f000', '871101D8059A9CF835105082CA2B1837E4AEC0990290008E08B36DB56761D706BB9000', '60185f01'],
    [
      '00B0000416',
      '0cb000040d9701168e0811f7efc907d1f27400',
      '87210142E919C115FAF69350B01813D77A9E8D91912A7F717AFD073F199070E61B79C6990290008E083382E3D983F441369000',
      '04303130385f36063034303030305c06617563766d6e',
    ],
  ] as const;

  it('derives the IVs E(KSenc, SSC) of §9.8.6.1', () => {
    const k = fromHex(KS_ENC);
    expect(hex(encryptBlock('AES-256', k, ssc('AES-256', '21')))).toBe('a666b931a46116f12b43c6382c702e50');
    expect(hex(encryptBlock('AES-256', k, ssc('AES-256', '23')))).toBe('7dc768e109341824c6a82e1a595a29b0');
    expect(hex(encryptBlock('AES-256', k, ssc('AES-256', '24')))).toBe('d0ef5e69ac65bf80c12f149afa7c2f01');
  });

  it('terminal: protected APDUs, responses, EF.COM and the final SSC …26', () => {
    const t = sm('AES-256', KS_ENC, KS_MAC, '20');
    let com = '';
    for (const [p, cmd, resp] of steps) {
      expect(wire(t.protectCommand(plain(p)))).toBe(cmd);
      const r = t.unprotectResponse(fromHex(resp));
      expect(r.sw).toBe(0x9000);
      com += hex(r.data);
    }
    expect(com).toBe('60185f0104303130385f36063034303030305c06617563766d6e');
    expect(hex(t.ssc)).toBe(hex(ssc('AES-256', '26')));
  });

  it('chip: recovers the plain commands and reproduces the responses', () => {
    const c = sm('AES-256', KS_ENC, KS_MAC, '20');
    for (const [p, cmd, resp, data] of steps) {
      expect(wire(c.unprotectCommand(fromHex(cmd)))).toBe(p.toLowerCase());
      expect(hex(c.protectResponse({ data: fromHex(data), sw: 0x9000 }))).toBe(resp.toLowerCase());
    }
  });

  it('every flipped bit of the EF.COM response → SM_MAC_INVALID and a dead session', () => {
    const good = fromHex(steps[1][2]);
    for (let bit = 0; bit < good.length * 8; bit++) {
      const t = sm('AES-256', KS_ENC, KS_MAC, '22');
      t.protectCommand(plain(steps[1][0]));
      const bad = good.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => t.unprotectResponse(bad)).toThrow(expect.objectContaining({ code: 'SM_MAC_INVALID' }));
      expect(() => t.protectCommand(plain(steps[2][0]))).toThrow(expect.objectContaining({ code: 'SM_SESSION_CLOSED' }));
    }
  });
});

describe('AES-128 MSE:Set AT with key reference (icao-worked-examples §3.2, gmrtd TestSecureMessageEncode #2)', () => {
  it('protects the command at SSC …BB and the chip side decrypts it back', () => {
    const cmd = commandApdu({ cla: 0, ins: 0x22, p1: 0x41, p2: 0xa4, data: fromHex('800A04007F000702020302028401C3') });
    const expected = '0c2241a41d871101980953d37f67558690045d78a853b18a8e08929767a2cef172e200';
    const t = sm('AES-128', 'CC86415F2ED7E8FD663B754265695AE1', '581E84B8EE06C4D3EEE30461498D7FB3', 'BA');
    expect(wire(t.protectCommand(cmd))).toBe(expected);
    expect(hex(t.ssc)).toBe(hex(ssc('AES-128', 'BB')));
    const c = sm('AES-128', 'CC86415F2ED7E8FD663B754265695AE1', '581E84B8EE06C4D3EEE30461498D7FB3', 'BA');
    expect(c.unprotectCommand(fromHex(expected))).toEqual(cmd);
  });
});

describe('AES-128 response with a 225-byte DO87 (icao-worked-examples §3.3, gmrtd TestSecureMessageDecode #2)', () => {
  const response =
    '8781e1012fabf9e0655d7e987fd28a8aeb19c9cadd990d49399799ed1fe465bcea56da9ba3024291d40d23d7f1e00485d71faddc6d8c1382e8028dd22efdcc72ed47663d56d20dd6c4b867956fe0507313083ae7fc54fb46133f184febbe13ad6fd3e2616a1f4a829e75ada1a0e443ca738288f6014be8a7745d8259b089e6bee35bcc4bf5b63db5fdd84244f67eca099213b70a861b4487225aa68af684278fceb4cb809de42be3ee95b0e0d72bcdb0ed47cb56efc264e04a9397a90e81ad1d81efa2d14b2ca8ec7bd997f4b1c1fd344d5dee8589c38b227ca4cb35810060a7cc76403e990290008e083eb47ef4fa82afc99000';
  const data =
    'a729901d1a71874700133107ec53306404307bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826043004a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c110461041d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e8abe1d7520f9c2a45cb1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c53150231008cb91e82a3';
  const keys = ['a8e85e938514ec67ae33cda3d43d3c48', '27f1adeb705a049a305b0c619b14b9b3'] as const;

  it('terminal decrypts it at SSC …0C (long-form length 81 E1)', () => {
    const t = sm('AES-128', ...keys, '0A');
    t.protectCommand(plain('00B0000000'));
    const r = t.unprotectResponse(fromHex(response));
    expect(hex(r.data)).toBe(data);
    expect(hex(t.ssc)).toBe(hex(ssc('AES-128', '0C')));
  });

  it('chip re-creates it byte for byte', () => {
    const c = sm('AES-128', ...keys, '0A');
    c.unprotectCommand(encodeCommandApdu(sm('AES-128', ...keys, '0A').protectCommand(plain('00B0000000'))));
    expect(hex(c.protectResponse({ data: fromHex(data), sw: 0x9000 }))).toBe(response);
  });
});

describe('Chip Authentication key change, AT passport (icao-worked-examples §5.3)', () => {
  const OLD = ['524170DE3419B7AF2F23E45AD6EF9595', '97893F5FDC29A5C13A924FE7D8ED44FD'] as const;
  const PK_IFD =
    '044827C781BE1AC7A00B351214FD783AC76D99E831A6316C8FD6DE7BD96CFA31DA06B6B57BA380789729F4A028212A768C49BF5F97D98B1DB12BEEC1A1CD324FB2';
  const MSE = '0c2241a41d8711015d8f69b1ea365cce4304970db12421f38e085340d338128085e700';
  const GA =
    '0c860000608751019e18f1ba79d805379752bb560eb70aac3ce3bc5afe2fdd4aeb325ca8b578b4a93b9f66a5df40005f8e878535251d33dd974aaf77fb858773e5799fa9dc1034e89b1150ec7f0bb3db4bf37a1b9ea4458a9701008e089d204d950c0b95db00';

  it('MSE:Set AT and GENERAL AUTHENTICATE under the old AES-128 keys from SSC …F0', () => {
    const t = sm('AES-128', ...OLD, 'F0');
    const mse = commandApdu({ cla: 0, ins: 0x22, p1: 0x41, p2: 0xa4, data: fromHex('800A04007F00070202030202') });
    expect(wire(t.protectCommand(mse))).toBe(MSE);
    expect(t.unprotectResponse(fromHex('990290008E083F5136E82A6C34779000')).sw).toBe(0x9000);
    const ga = commandApdu({ cla: 0, ins: 0x86, p1: 0, p2: 0, data: fromHex('7C438041' + PK_IFD), ne: 256 });
    expect(wire(t.protectCommand(ga))).toBe(GA);
    const r = t.unprotectResponse(fromHex('8711010B0A5DFFC7432DE4DEB604291377A05B990290008E08B3384A1F5D1579739000'));
    expect(hex(r.data)).toBe('7c00');
  });

  it('the chip side accepts both commands and answers with the printed responses', () => {
    const c = sm('AES-128', ...OLD, 'F0');
    expect(hex(c.unprotectCommand(fromHex(MSE)).data)).toBe('800a04007f00070202030202');
    expect(hex(c.protectResponse({ data: new Uint8Array(0), sw: 0x9000 }))).toBe('990290008e083f5136e82a6c34779000');
    const ga = c.unprotectCommand(fromHex(GA));
    expect(hex(ga.data)).toBe(('7C438041' + PK_IFD).toLowerCase());
    expect(ga.ne).toBe(256);
    expect(hex(c.protectResponse({ data: fromHex('7C00'), sw: 0x9000 }))).toBe(
      '8711010b0a5dffc7432de4deb604291377a05b990290008e08b3384a1f5d1579739000',
    );
  });

  it('first command under the new keys with SSC = 0', () => {
    const t = sm('AES-128', 'C8E27260EFD3F318D18C080CBF11C7E6', 'A942190365204A21409EB28B52BF9160', '00');
    expect(wire(t.protectCommand(plain('00A4020C02010E')))).toBe(
      '0ca4020c1d8711011b2ee500e84960df7f37afe7adff53838e084500f3b43e192a5700',
    );
    expect(t.unprotectResponse(fromHex('990290008E0803C4B125B4218CEF9000')).sw).toBe(0x9000);
    expect(hex(t.ssc)).toBe(hex(ssc('AES-128', '02')));
  });
});

describe('3DES SM outside BAC (icao-worked-examples §5.3 MY passport, §4.1 AA)', () => {
  it('MY passport: the chip side recovers MSE:Set AT for id-CA-ECDH-3DES-CBC-CBC; new keys SELECT DG14', () => {
    const c = sm('3DES', '896de34a942c7076fec207207acb79c2', 'd6c47ff4677ac8ae91cb49f4ce673432', '9646c154bfb7be79');
    const mse = c.unprotectCommand(fromHex('0C2241A41D8711019D1E70C6F5EE06A7CA1E98FBF5C945C98E087AC379DC78702E6300'));
    expect(wire(mse)).toBe('002241a40c800a04007f00070202030201');
    const t = sm('3DES', '75b95468910849cdf1a1a2ae5452ce9b', 'cd0bef85d5a82a7ae0fbc12368a41fef', '00');
    expect(wire(t.protectCommand(plain('00A4020C02010E')))).toBe('0ca4020c1587090106904d37288d69488e08a13b74e87b87e44600');
  });

  it('gmrtd AA trace: INTERNAL AUTHENTICATE protected at SSC …CD', () => {
    const t = sm('3DES', 'b99d546108eaa251570876b6d3456dce', 'e3857ca24946251c151c540e13f2cd51', 'cc');
    const aa = commandApdu({ cla: 0, ins: 0x88, p1: 0, p2: 0, data: fromHex('96302b0f3d7e7864'), ne: 256 });
    expect(wire(t.protectCommand(aa))).toBe('0c88000020871101ed7f8cb47a4eea086324a7f9dd7427809701008e0897f54bae49aa71f800');
  });
});

describe('AES-256 old keys, MSE:Set KAT, FR passport (icao-worked-examples §5.3)', () => {
  it('the chip side recovers 91 ‖ PK_IFD, the P-256 public key of the printed SK_IFD (computed by noble-curves)', () => {
    const c = sm(
      'AES-256',
      '17da5d46e356f5b31c3d65b1369ef531ca811effc76967d2b62335e1ad9fe5cb',
      '5cb99a25e6081581fac80c8da621087939b6bde273f2f7c65693b3a0ea3051ed',
      'c6',
    );
    const kat = c.unprotectCommand(
      fromHex(
        '0c2241a65d8751013ae386873df68bd7e9f8d7ab2e696ced29eeb8da78d502645b5e97d566361341e2eaa56318f6d84bf0bc44f7808afaf14798d16048aab03545f017f557d2cce9dee724f099e3d643abd0fb03e567d9b18e08f2d238dede5abbf100',
      ),
    );
    const pk = p256.getPublicKey(fromHex('d9c3b06a4dcb735351429403fcb56db520dc882512d775971f724d6112f96586'), false);
    expect(hex(kat.data)).toBe(hex(concat(Uint8Array.of(0x91, 0x41), pk)));
    expect([kat.cla, kat.ins, kat.p1, kat.p2]).toEqual([0x00, 0x22, 0x41, 0xa6]);
    expect(hex(c.protectResponse({ data: new Uint8Array(0), sw: 0x9000 }))).toBe('990290008e089666ac14d11e8c2c9000');
  });
});
