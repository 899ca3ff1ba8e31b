/**
 * The OpenAPI 3.0.3 description of the API, served at /openapi.json. The verification report is
 * described by its stable frame (docs/verify-schema.md); checks and codes may grow, so the
 * schemas allow members they do not name.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });
const VERDICT = { type: 'string', enum: ['VALID', 'INVALID', 'UNTRUSTED'] };
const BASE64 = { type: 'string', format: 'byte' };

const COMMON_ERRORS = {
  '400': error('malformed request: bad JSON, bad base64, a missing or unknown member'),
  '401': error('no valid API key'),
  '413': error('request body too large'),
  '415': error('unsupported content type'),
  '429': error('the client is over its rate limit (Retry-After says when to retry)'),
};

const SCHEMAS = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
  },
  Challenge: {
    type: 'object',
    required: ['challenge', 'nonce', 'expiresAt'],
    properties: {
      challenge: { type: 'string', description: 'return it with the chip answer' },
      nonce: { ...BASE64, description: 'the 8 bytes to send to the chip: INTERNAL AUTHENTICATE 00 88 00 00 08 nonce' },
      expiresAt: { type: 'string', format: 'date-time' },
    },
  },
  DocumentRequest: {
    type: 'object',
    required: ['files'],
    properties: {
      files: {
        type: 'object',
        description: 'LDS file name (SOD, COM, CardAccess, DG1 … DG16) to its bytes, base64',
        required: ['SOD'],
        additionalProperties: BASE64,
      },
      activeAuthentication: {
        type: 'object',
        required: ['challenge', 'signature'],
        properties: { challenge: { type: 'string' }, signature: { ...BASE64, description: "the chip's answer to INTERNAL AUTHENTICATE" } },
      },
    },
  },
  Check: {
    type: 'object',
    required: ['id', 'status', 'code', 'reason'],
    properties: {
      id: { type: 'string' },
      status: { type: 'string', enum: ['pass', 'fail', 'warn', 'not-applicable', 'not-bound'] },
      code: { type: 'string' },
      reason: { type: 'string' },
    },
  },
  VerificationReport: {
    type: 'object',
    description: 'the report of `cancuoc verify --json` (docs/verify-schema.md), plus presence',
    required: ['verdict', 'checkedAt', 'source', 'checks', 'files', 'passiveAuthentication', 'presence'],
    properties: {
      verdict: VERDICT,
      checkedAt: { type: 'string', format: 'date-time' },
      source: { type: 'string', enum: ['dump', 'card'] },
      faceImage: { type: 'string', description: 'checkpoint only: the DG2 face as a data: URL' },
      checks: { type: 'array', items: ref('Check') },
      files: { type: 'array', items: { type: 'object', required: ['name', 'status'] } },
      mrz: { type: 'object' },
      personal: { type: 'object', additionalProperties: { type: 'string' } },
      face: { type: 'object' },
      passiveAuthentication: { type: 'object' },
      presence: {
        type: 'string',
        enum: ['chip', 'data-only'],
        description: 'chip: the chip answered this service’s own challenge with the DG15 key; data-only: only the files were checked',
      },
    },
  },
  CardRequest: {
    type: 'object',
    description: 'one of: the CAN, or the 12-digit personal ID (PACE with the CAN derived from it)',
    properties: { can: { type: 'string', pattern: '^[0-9]{6}$' }, id: { type: 'string', pattern: '^[0-9]{12}$' } },
  },
  QrRequest: {
    type: 'object',
    description: 'the QR content: text, or the exact bytes as base64 (a VDS seal is binary)',
    properties: { text: { type: 'string' }, bytes: BASE64 },
  },
  QrReport: {
    type: 'object',
    required: ['verdict', 'codes'],
    properties: {
      verdict: { type: 'string', enum: ['VALID', 'INVALID', 'UNTRUSTED', 'UNSIGNED', 'UNREADABLE'] },
      error: { type: 'string' },
      codes: {
        type: 'array',
        items: {
          type: 'object',
          required: ['kind', 'verdict', 'code', 'reason'],
          properties: {
            kind: { type: 'string', enum: ['vds', 'cccd-text', 'unknown'] },
            verdict: { type: 'string' },
            code: { type: 'string' },
            reason: { type: 'string' },
            fields: { type: 'object' },
          },
        },
      },
    },
  },
  Health: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
};

export function openApiDocument(): object {
  const secured = [{ apiKey: [] }];
  return {
    openapi: '3.0.3',
    info: { title: 'cancuoc verification service', version: '1', description: 'Verdicts on CCCD chips and QR codes for agencies and banks (docs/service.md).' },
    components: { schemas: SCHEMAS, securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: '`cancuoc serve keys add NAME`' } } },
    paths: {
      '/v1/challenges': {
        post: {
          summary: 'a fresh single-use challenge for Active Authentication',
          security: secured,
          responses: { '201': { description: 'the challenge', content: json(ref('Challenge')) }, '401': COMMON_ERRORS['401'], '429': COMMON_ERRORS['429'] },
        },
      },
      '/v1/documents/verify': {
        post: {
          summary: "verify a chip's files, and its presence when it answered a challenge",
          security: secured,
          requestBody: { required: true, content: json(ref('DocumentRequest')) },
          responses: {
            '200': { description: 'the verification report', content: json(ref('VerificationReport')) },
            ...COMMON_ERRORS,
            '409': error('the challenge was already answered (a replay)'),
          },
        },
      },
      '/v1/qr/verify': {
        post: {
          summary: 'verify a QR code: a photo of it, or its content',
          security: secured,
          requestBody: {
            required: true,
            content: { 'image/png': { schema: { type: 'string', format: 'binary' } }, 'image/jpeg': { schema: { type: 'string', format: 'binary' } }, ...json(ref('QrRequest')) },
          },
          responses: { '200': { description: 'the QR report', content: json(ref('QrReport')) }, ...COMMON_ERRORS },
        },
      },
      '/v1/card/verify': {
        post: {
          summary: "the checkpoint: read and verify the card on this server's own PC/SC reader",
          security: secured,
          requestBody: { required: true, content: json(ref('CardRequest')) },
          responses: {
            '200': { description: 'the verification report of the chip, with its photo', content: json(ref('VerificationReport')) },
            ...COMMON_ERRORS,
            '404': error('the service has no card reader'),
            '409': error('no card on the reader, or the card failed'),
            '422': error('the chip refused access (wrong CAN)'),
          },
        },
      },
      '/v1/revocations': {
        get: {
          summary: "the issuer's signed list of lost and revoked documents (docs/revocation-list.md)",
          security: secured,
          responses: {
            '200': { description: 'the signed list (DER)', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
            '401': COMMON_ERRORS['401'],
            '404': error('the service has no revocation list'),
            '429': COMMON_ERRORS['429'],
          },
        },
      },
      '/healthz': { get: { summary: 'liveness', responses: { '200': { description: 'up', content: json(ref('Health')) } } } },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } } },
      },
    },
  };
}
