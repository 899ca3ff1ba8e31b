/**
 * The terminal side replayed against ICAO 9303-11 (8th ed.) worked examples and the real-passport
 * traces of test/vectors/icao-worked-examples.md: every APDU our reader sends is compared
 * byte for byte with the published one, the chip's published answers are fed back, and the
 * resulting keys are compared with the published ones.
 */
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../src/lds/bytes.js';
import { decodeCardAccess } from '../../src/lds/card-access.js';
import { decodeDg14 } from '../../src/lds/dg14.js';
import { decodeDg15 } from '../../src/lds/dg15.js';
import { SecureMessaging } from '../../src/crypto/secure-messaging.js';
import { decodeCommandApdu } from '../../src/lds/apdu.js';
import { performBac } from '../../src/reader/bac.js';
import { choosePace, performPace } from '../../src/reader/pace.js';
import { chooseChipAuth, performChipAuth } from '../../src/reader/chip-auth.js';
import { performActiveAuth } from '../../src/reader/active-auth.js';
import { plainExchange, SecureTransport } from '../../src/reader/secure-transport.js';
import { selectEf } from '../../src/reader/read-file.js';
import { ScriptedCardDouble } from './scripted-card.double.js';

const up = (b: Uint8Array) => hex(b).toUpperCase();

describe('9303-11 App. D.3: BAC mutual authentication (terminal)', () => {
  it('sends GET CHALLENGE and EXTERNAL AUTHENTICATE as printed and derives KSenc, KSmac, SSC', async () => {
    const card = new ScriptedCardDouble([
      { command: '0084000008', response: '4608F919887022129000' },
      {
        command: '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728',
        response: '46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000',
      },
    ]);
    const out = await performBac(plainExchange(card), 'L898902C<369080619406236', {
      terminal: { rndIfd: fromHex('781723860C06C226'), kIfd: fromHex('0B795240CB7049B01C19B33E32804F0B') },
    });
    expect(card.finished).toBe(true);
    expect(up(out.session.ksEnc)).toBe('979EC13B1CBFE9DCD01AB0FED307EAE5');
    expect(up(out.session.ksMac)).toBe('F1CB1F1FB5ADF208806B89DC579DC1F8');
    expect(up(out.session.ssc)).toBe('887022120C06C226');
    expect(Object.isFrozen(out)).toBe(true);
  });

  it('a chip that rejects EXTERNAL AUTHENTICATE (wrong MRZ) gives ACCESS_DENIED', async () => {
    const card = new ScriptedCardDouble([
      { command: '0084000008', response: '4608F919887022129000' },
      { command: '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728', response: '6300' },
    ]);
    const run = performBac(plainExchange(card), 'L898902C<369080619406236', {
      terminal: { rndIfd: fromHex('781723860C06C226'), kIfd: fromHex('0B795240CB7049B01C19B33E32804F0B') },
    });
    await expect(run).rejects.toMatchObject({ code: 'ACCESS_DENIED', place: { sw: 0x6300 } });
  });

  it('a chip answer with a flipped byte (MAC fails) is ACCESS_DENIED, not a crash', async () => {
    const card = new ScriptedCardDouble([
      { command: '0084000008', response: '4608F919887022129000' },
      {
        command: '008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728',
        response: '47B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000',
      },
    ]);
    const run = performBac(plainExchange(card), 'L898902C<369080619406236', {
      terminal: { rndIfd: fromHex('781723860C06C226'), kIfd: fromHex('0B795240CB7049B01C19B33E32804F0B') },
    });
    await expect(run).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });
});

describe('9303-11 App. D.4: 3DES secure messaging through SecureTransport', () => {
  it('SELECT EF.COM and two READ BINARY give the printed protected APDUs and EF.COM', async () => {
    const card = new ScriptedCardDouble([
      { command: '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800', response: '990290008E08FA855A5D4C50A8ED9000' },
      { command: '0CB000000D9701048E08ED6705417E96BA5500', response: '8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000' },
      {
        command: '0CB000040D9701128E082EA28A70F3C7B53500',
        response: '871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000',
      },
    ]);
    const sm = new SecureTransport(card, {
      cipher: '3DES',
      ksEnc: fromHex('979EC13B1CBFE9DCD01AB0FED307EAE5'),
      ksMac: fromHex('F1CB1F1FB5ADF208806B89DC579DC1F8'),
      ssc: fromHex('887022120C06C226'),
    });
    expect(up(await sm.transmit(fromHex('00A4020C02011E')))).toBe('9000');
    expect(up(await sm.transmit(fromHex('00B0000004')))).toBe('60145F019000');
    expect(up(await sm.transmit(fromHex('00B0000412')))).toBe('04303130365F36063034303030305C0261759000');
    expect(card.finished).toBe(true);
  });

  it('a response with a bad MAC ends the session: later commands are refused without sending', async () => {
    const card = new ScriptedCardDouble([
      { command: '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800', response: '990290008E08FA855A5D4C50A8EE9000' },
    ]);
    const sm = new SecureTransport(card, {
      cipher: '3DES',
      ksEnc: fromHex('979EC13B1CBFE9DCD01AB0FED307EAE5'),
      ksMac: fromHex('F1CB1F1FB5ADF208806B89DC579DC1F8'),
      ssc: fromHex('887022120C06C226'),
    });
    await expect(sm.transmit(fromHex('00A4020C02011E'))).rejects.toMatchObject({ code: 'SM_MAC_INVALID' });
    expect(sm.alive).toBe(false);
    await expect(sm.transmit(fromHex('00B0000004'))).rejects.toMatchObject({ code: 'SM_SESSION_CLOSED' });
    expect(card.sent).toHaveLength(1);
  });

  it('a plain 6988 where a protected answer was due ends the session', async () => {
    const card = new ScriptedCardDouble([{ command: '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800', response: '6988' }]);
    const sm = new SecureTransport(card, {
      cipher: '3DES',
      ksEnc: fromHex('979EC13B1CBFE9DCD01AB0FED307EAE5'),
      ksMac: fromHex('F1CB1F1FB5ADF208806B89DC579DC1F8'),
      ssc: fromHex('887022120C06C226'),
    });
    await expect(sm.transmit(fromHex('00A4020C02011E'))).rejects.toMatchObject({ code: 'SM_MAC_MISSING' });
    await expect(sm.transmit(fromHex('00A4020C02011E'))).rejects.toMatchObject({ code: 'SM_SESSION_CLOSED' });
  });
});

// App. G.1 values
const G1_CARD_ACCESS = '31143012060A04007F0007020204020202010202010D';
const G1_MRZ = 'T22000129364081251010318';
const G1_SCRIPT = [
  { command: '0022C1A40F800A04007F00070202040202830101', response: '9000' },
  { command: '10860000027C0000', response: '7C12801095A3A016522EE98D01E76CB6B98B42C39000' },
  {
    command:
      '10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00',
    response:
      '7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000',
  },
  {
    command:
      '10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200',
    response:
      '7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000',
  },
  { command: '008600000C7C0A8508C2B0BD78D94BA86600', response: '7C0A86083ABB9674BCE93C089000' },
];
const G1_KEYS = {
  mappingKey: fromHex('7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99'),
  ephemeralKey: fromHex('A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595'),
};

describe('9303-11 App. G.1: PACE ECDH-GM brainpoolP256r1 AES-128 with the MRZ (terminal)', () => {
  it('chooses the PACEInfo of EF.CardAccess and leaves DO 84 out (one parameter id)', () => {
    const choice = choosePace(decodeCardAccess(fromHex(G1_CARD_ACCESS)))!;
    expect(choice.protocol).toBe('0.4.0.127.0.7.2.2.4.2.2');
    expect(choice.parameterId).toBe(13);
    expect(choice.sendParameterId).toBe(false);
  });

  it('sends MSE:Set AT and the four GENERAL AUTHENTICATE as printed and gets KSenc / KSmac', async () => {
    const card = new ScriptedCardDouble(G1_SCRIPT);
    const choice = choosePace(decodeCardAccess(fromHex(G1_CARD_ACCESS)))!;
    const out = await performPace(plainExchange(card), choice, { kind: 'mrz', mrzInformation: G1_MRZ }, G1_KEYS);
    expect(card.finished).toBe(true);
    expect(up(out.result.ksEnc)).toBe('F5F0E35C0D7161EE6724EE513A0D9A7F');
    expect(up(out.result.ksMac)).toBe('FE251C7858B356B24514B3BD5F4297D1');
  });

  it('the chip rejecting T_IFD (63 00) is "PACE failed: wrong … MRZ", code ACCESS_DENIED', async () => {
    const script = [...G1_SCRIPT.slice(0, 4), { command: G1_SCRIPT[4]!.command, response: '6300' }];
    const choice = choosePace(decodeCardAccess(fromHex(G1_CARD_ACCESS)))!;
    const run = performPace(plainExchange(new ScriptedCardDouble(script)), choice, { kind: 'mrz', mrzInformation: G1_MRZ }, G1_KEYS);
    await expect(run).rejects.toMatchObject({ code: 'ACCESS_DENIED', message: expect.stringMatching(/^PACE failed: wrong MRZ/) });
  });

  it('a chip token that does not verify is ACCESS_DENIED too', async () => {
    const script = [...G1_SCRIPT.slice(0, 4), { command: G1_SCRIPT[4]!.command, response: '7C0A86083ABB9674BCE93C099000' }];
    const choice = choosePace(decodeCardAccess(fromHex(G1_CARD_ACCESS)))!;
    const run = performPace(plainExchange(new ScriptedCardDouble(script)), choice, { kind: 'mrz', mrzInformation: G1_MRZ }, G1_KEYS);
    await expect(run).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
  });

  it('with two parameter ids on offer, MSE:Set AT carries 84 <id> (gmrtd form of the same APDU)', () => {
    // §6.4 example with GM + CAM on paramId 13 has one id; build one with ids 13 and 12.
    const two = '31283012060A04007F0007020204020202010202010D3012060A04007F0007020204020202010202010C';
    const choice = choosePace(decodeCardAccess(fromHex(two)))!;
    expect(choice.sendParameterId).toBe(true);
  });
});

describe('9303-11 App. G.2: PACE DH-GM, RFC 5114 1024/160, AES-128 (terminal)', () => {
  const pkMapIc =
    '78879F57225AA8080D52ED0FC890A4B25336F699AA89A2D3A189654AF70729E623EA5738B26381E4DA19E004706FACE7B235C2DBF2F38748312F3C98C2DD4882A41947B324AA1259AC22579DB93F7085655AF30889DBB845D9E6783FE42C9F2449400306254C8AE8EE9DD812A804C0B66E8CAFC14F84D8258950A91B44126EE6';
  const pkMapIfd =
    '23FB3749EA030D2A25B278D2A562047ADE3F01B74F17A15402CB7352CA7D2B3EB71C343DB13D1DEBCE9A3666DBCFC920B49174A602CB47965CAA73DC702489A44D41DB914DE9613DC5E98C94160551C0DF86274B9359BC0490D01B03AD54022DCB4F57FAD6322497D7A1E28D46710F461AFE710FBBBC5F8BA166F4311975EC6C';
  const pkIfd =
    '907D89E2D425A178AA81AF4A7774EC8E388C115CAE67031E85EECE520BD911551B9AE4D04369F29A02626C86FBC6747CC7BC352645B6161A2A42D44EDA80A08FA8D61B76D3A154AD8A5A51786B0BC07147057871A922212C5F67F43173172236B7747D1671E6D692A3C7D40A0C3C5CE397545D015C175EB5130551EDBC2EE5D4';
  const pkIc =
    '075693D9AE941877573E634B6E644F8E60AF17A0076B8B123D9201074D36152BD8B3A213F53820C42ADC79AB5D0AEEC3AEFB91394DA476BD97B9B14D0A65C1FC71A0E019CB08AF55E1F729005FBA7E3FA5DC41899238A250767A6D46DB974064386CD456743585F8E5D90CC8B4004B1F6D866C79CE0584E49687FF61BC29AEA1';

  it('replays every APDU and derives the printed session keys', async () => {
    const card = new ScriptedCardDouble([
      { command: '0022C1A40F800A04007F00070202040102830101', response: '9000' },
      { command: '10860000027C0000', response: '7C128010854D8DF5827FA6852D1A4FA701CDDDCA9000' },
      { command: `10860000867C8183818180${pkMapIfd}00`, response: `7C8183828180${pkMapIc}9000` },
      { command: `10860000867C8183838180${pkIfd}00`, response: `7C8183848180${pkIc}9000` },
      { command: '008600000C7C0A8508B46DD9BD4D98381F00', response: '7C1B8608917F37B5C0E6D8D1870F4445544553544356434130303030339000' },
    ]);
    const choice = choosePace(decodeCardAccess(fromHex('31143012060A04007F00070202040102020102020100')))!;
    expect(choice.domain.kind).toBe('dh');
    const out = await performPace(plainExchange(card), choice, { kind: 'mrz', mrzInformation: G1_MRZ }, {
      mappingKey: fromHex('5265030F751F4AD18B08AC565FC7AC952E41618D'),
      ephemeralKey: fromHex('89CCD99B0E8D3B1F11E1296DCA68EC53411CF2CA'),
    });
    expect(card.finished).toBe(true);
    expect(up(out.result.ksEnc)).toBe('2F7F46ADCC9E7E521B45D192FAFA9126');
    expect(up(out.result.ksMac)).toBe('805A1D27D45A5116F73C54469462B7D8');
  });
});

describe('AES secure messaging, real trace §3.1 (AES-256, gmrtd TestNfcSessionSecureMessagingAES)', () => {
  it('SELECT EF.COM and two READ BINARY through SecureTransport', async () => {
    const card = new ScriptedCardDouble([
      { command: '0CA4020C1D8711011D35E7EB510E21A0DD12380D9AD2B92D8E0828CB68B81D3FAFC000', response: '990290008E08E083EAA61ADABFCE9000' },
      { command: '0CB000000D9701048E084AFC933E0CDBE5F000', response: '871101D8059A9CF835105082CA2B1837E4AEC0990290008E08B36DB56761D706BB9000' },
      {
        command: '0CB000040D9701168E0811F7EFC907D1F27400',
        response: '87210142E919C115FAF69350B01813D77A9E8D91912A7F717AFD073F199070E61B79C6990290008E083382E3D983F441369000',
      },
    ]);
    const sm = new SecureTransport(card, {
      cipher: 'AES-256',
      ksEnc: fromHex('74B94F408BBB2CD92571FD5B6370A94CCE7A2FA42AE3EB4DA47B97CE6EAA24C6'),
      ksMac: fromHex('9E28D5D9FF1D979BE752E8926BF0E1D35A440FC0AEFC4AA3BC5610055AC8B113'),
      ssc: fromHex('00000000000000000000000000000020'),
    });
    await sm.transmit(fromHex('00A4020C02011E'));
    expect(up(await sm.transmit(fromHex('00B0000004')))).toBe('60185F019000');
    expect(up(await sm.transmit(fromHex('00B0000416')))).toBe('04303130385F36063034303030305C06617563766D6E9000');
    expect(card.finished).toBe(true);
  });
});

describe('Chip Authentication v1, real trace §5.3 (AT passport, id-CA-ECDH-AES-CBC-CMAC-128)', () => {
  const DG14 =
    '6E82017E3182017A300D060804007F0007020202020101300F060A04007F000702020302020201013012060A04007F0007020204020202010202010D30820142060904007F000702020102308201333081EC06072A8648CE3D02013081E0020101302C06072A8648CE3D0101022100A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377304404207D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9042026DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B60441048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997022100A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7020101034200041983917269AC877C0B61544C2C022000D2A5ABA723E2D80141E648B40911DC3459761F27480E4B57181A53D8FE1190EA86C939AC14363178CAFFC621F0F905C3';

  it('chooses the key (explicit brainpoolP256r1 parameters), sends MSE:Set AT and GA as recorded, then talks with the new keys', async () => {
    const choice = chooseChipAuth(decodeDg14(fromHex(DG14)));
    expect(choice.protocol.oid).toBe('0.4.0.127.0.7.2.2.3.2.2');
    expect(choice.key.domain.id).toBe(13);
    expect(choice.keyId).toBeUndefined();
    const card = new ScriptedCardDouble([
      { command: '0C2241A41D8711015D8F69B1EA365CCE4304970DB12421F38E085340D338128085E700', response: '990290008E083F5136E82A6C34779000' },
      {
        command:
          '0C860000608751019E18F1BA79D805379752BB560EB70AAC3CE3BC5AFE2FDD4AEB325CA8B578B4A93B9F66A5DF40005F8E878535251D33DD974AAF77FB858773E5799FA9DC1034E89B1150EC7F0BB3DB4BF37A1B9EA4458A9701008E089D204D950C0B95DB00',
        response: '8711010B0A5DFFC7432DE4DEB604291377A05B990290008E08B3384A1F5D1579739000',
      },
      // first command under the new keys, SSC = 1
      { command: '0CA4020C1D8711011B2EE500E84960DF7F37AFE7ADFF53838E084500F3B43E192A5700', response: '990290008E0803C4B125B4218CEF9000' },
    ]);
    const sm = new SecureTransport(card, {
      cipher: 'AES-128',
      ksEnc: fromHex('524170DE3419B7AF2F23E45AD6EF9595'),
      ksMac: fromHex('97893F5FDC29A5C13A924FE7D8ED44FD'),
      ssc: fromHex('000000000000000000000000000000F0'),
    });
    const out = await performChipAuth(sm, choice, { ephemeralKey: fromHex('80EBAFC8A51BECD4D90BB640EE38C9FD5C12748D28AAA37096B98C4533C4F5F5') });
    expect(up(out.ephemeralPublicKey)).toBe(
      '044827C781BE1AC7A00B351214FD783AC76D99E831A6316C8FD6DE7BD96CFA31DA06B6B57BA380789729F4A028212A768C49BF5F97D98B1DB12BEEC1A1CD324FB2',
    );
    expect(up(await sm.exchange(selectEf(0x010e)).then((r) => Uint8Array.of(r.sw >> 8, r.sw & 0xff)))).toBe('9000');
    expect(card.finished).toBe(true);
  });
});

describe('Active Authentication (9303-11 §6.1), real RSA vectors', () => {
  it('pymrtd RSA-1024 / SHA-1: INTERNAL AUTHENTICATE 00 88 00 00 08 RND.IFD 00, both published signatures verify', async () => {
    const dg15 = decodeDg15(
      fromHex(
        '6F81A230819F300D06092A864886F70D010101050003818D0030818902818100BD8620D45693E1CD8678639F22E9553F09E3AFD87BD26000113CE2798B7A02A2E0AB6B7525D09072109D938D6708167E8FAFAF83F17BFBA36CECCE26058C7ED9AE29516755B19F78CE0E73DA02340B117B8AB2ECA007F1390E93E896016335EB5C1E330B961C03E253D17874F7ABEE8D4962C49FFE578D46954FF23B26F5E5550203010001',
      ),
    );
    const pairs = [
      [
        '47E4EE7F211F7326',
        '8AECE4E0AB1A6B9E06B31ACBA51AE316D0B7B48E2F5FE13E575060F6B9DC27A2F9D03DCF67A141F466EEC753879106BE0992F46F5EAAD075EB1886D2ACE90D60C2EDA69880780CE4FA36EF27AB01C47527BD23B178EC8F213307281572C219487FC11B2C3D9C144DC98D96D1A79A7478449D692D3D14E8C044F81B3ADF0047E0',
      ],
      [
        '5DD17658F6E21C13',
        '97251259E9EB453A8DC2D9CD85D5A49D2E83F31D6465CB1FBD09C5E7800D4F0FB9FF7312343CD3955CA3BE6768AD7938F3D36B0C9E2205923786949B5F48FBF1C94D01B5BC9DA88C8293E118F87E14E4CC409D52AA7ED266E20248AB3C04949838540DEB24588436607EA620B4825D002C5FAB4F07B618D72C0A9EC247653FE7',
      ],
    ] as const;
    for (const [nonce, sig] of pairs) {
      const card = new ScriptedCardDouble([{ command: `0088000008${nonce}00`, response: `${sig}9000` }]);
      const out = await performActiveAuth(plainExchange(card), dg15, { challenge: fromHex(nonce) });
      expect(out.valid).toBe(true);
      expect(out.verified?.hash).toBe('sha1');
    }
    // The first signature does not answer the second challenge.
    const card = new ScriptedCardDouble([{ command: `0088000008${pairs[1][0]}00`, response: `${pairs[0][1]}9000` }]);
    const out = await performActiveAuth(plainExchange(card), dg15, { challenge: fromHex(pairs[1][0]) });
    expect(out.valid).toBe(false);
    expect(out.error?.code).toMatch(/^[A-Z0-9_]+$/);
  });

  it('gmrtd RSA-1792 / SHA-256 under 3DES SM: the protected command is the recorded one', async () => {
    const dg15 = decodeDg15(
      fromHex(
        '6F8201023081FF300D06092A864886F70D01010105000381ED003081E90281E100BB8F93F4DC95E205CDA17C6927AB1E365B13065D03CD12E0FCE95D96840529453202F56CC4C13F77CD062930C8BC89A2873B257045C286E601CF3C09323A53103314902804AA10A314628CE222206A8866946A36B442041BB54AC81E6855DD1D6E16101833D65A191C20AC8B33B8A1A32920F46043F8031CF2BC17417030865FC5BE5A39DEE423BCBA3CA8177168EB23CFE01BA43EC87711B1CFFF85DB46F300DD8AE317B50D543B573E119E23AF7070D0B2FED6A3B2313A5EC02A531AAED1741F4390D1013E2A0F081EAC5DC8B0A1B2C6BDB1206F08D30E3643E1E5BDF536110203010001',
      ),
    );
    const sigma =
      '474256306840c0ab1b63c10e1c26bdfef4a0dd843920283cc4e6e70a60f2bd25dc7725f9677bc1cde66379dc28b38e8490f33afb2d10f9980c44c0bfc175d2b6684218f535c92fdd3e18db770a9ccbf91db3c7f0138e6d9e94b9bc8371761e3abed5e5e9b260279cfb238b58ae0d6a01da51c74c2a3ecd62c448bd9f20127f7384587287fa971204234e55b1a856c3e5aaaa620bb799a68fbae08ee132bb61683eba9b0b40dc1e54641cad975b16991cab50af82e3f3985afd19e7427a125f5b4b9878b12a5d2e01c7eedca3bb41c6fc05dccd818bce379d04b1f2f5d43487d3';
    const keys = { cipher: '3DES' as const, ksEnc: fromHex('b99d546108eaa251570876b6d3456dce'), ksMac: fromHex('e3857ca24946251c151c540e13f2cd51') };
    // The chip's half of the same session wraps the published σ (the trace's response hex is not printed in full).
    const chip = new SecureMessaging({ ...keys, ssc: fromHex('00000000000000cc') });
    const card = new ScriptedCardDouble([
      {
        command: '0c88000020871101ed7f8cb47a4eea086324a7f9dd7427809701008e0897f54bae49aa71f800',
        response: (cmd) => {
          const plain = chip.unprotectCommand(cmd);
          expect(up(plain.data)).toBe('96302B0F3D7E7864');
          return chip.protectResponse({ data: fromHex(sigma), sw: 0x9000 });
        },
      },
    ]);
    const sm = new SecureTransport(card, { ...keys, ssc: fromHex('00000000000000cc') });
    const out = await performActiveAuth(sm.exchange, dg15, { challenge: fromHex('96302b0f3d7e7864') });
    expect(out.valid).toBe(true);
    expect(out.verified?.hash).toBe('sha256');
    expect(decodeCommandApdu(fromHex(card.sent[0]!)).cla).toBe(0x0c);
  });
});
