/**
 * Whether an enrollment photo can give an ICAO portrait, judged on the face and not the whole
 * frame (ICAO 9303-3 (8th ed.) §3.9; ISO/IEC 19794-5:2005 §7.2, §8.3): one face, big enough,
 * frontal, inside the photo, well exposed and sharp, in front of a plain background. A light
 * background is what ICAO asks for, so brightness is measured on the face alone.
 * Each refusal is a ValidationError (field `photo`) with a stable code and one line for the operator.
 */
import { ValidationError } from '../lds/errors.js';
import type { DetectedFace } from './face-detect.js';

export const LIMITS = Object.freeze({
  /**
   * Pixels between the eye centres in the photo. ICAO's best practice is 90 or more; below 40 the
   * 420-pixel portrait (eyes about 100 px apart) would be a more than 2.5-fold enlargement.
   */
  minEyeDistance: 40,
  /** Roll is levelled by rotation up to this many degrees; beyond it the camera or head was tilted. */
  maxRollDegrees: 20,
  /**
   * Yaw as the nose's offset between the face's sides, (right − left)/(right + left): about
   * sin(yaw), so 0.26 ≈ 15°. The landmarks are too coarse for ISO/IEC 19794-5's ±5°.
   */
  maxYawRatio: 0.26,
  /** A second face at least this share of the first face's width makes a group photo. */
  otherFaceShare: 0.35,
  /** Face region: mean luma and the share of clipped pixels (≥ 250 or ≤ 5). */
  minFaceLuma: 60,
  maxFaceLuma: 220,
  maxFaceClipped: 0.2,
  /** Face region normalised to 40 px between the eyes: spread of the Laplacian over spread of the luma (sharp astronaut 0.7, blurred by σ 1.5: 0.2). */
  minFaceSharpness: 0.3,
  /** Background zones of the portrait (luma): interquartile range within a zone, and the step between the zones' medians. */
  maxBackgroundSpread: 20,
  maxBackgroundStep: 40,
});

/** The refusals that are about the face or the background, as opposed to an unreadable or tiny file. */
export const FACE_REFUSALS: ReadonlySet<string> = new Set([
  'NO_FACE',
  'SEVERAL_FACES',
  'FACE_TOO_SMALL',
  'FACE_CUT_OFF',
  'POSE',
  'FACE_TOO_DARK',
  'FACE_OVEREXPOSED',
  'BLURRED',
  'BACKGROUND_NOT_UNIFORM',
]);

function refuse(code: string, message: string): never {
  throw new ValidationError(code, message, { field: 'photo' });
}

/** The one face to make the portrait from, or the reason there is none. */
export function judgeFaces(faces: readonly DetectedFace[]): DetectedFace {
  const face = faces[0];
  if (face === undefined) refuse('NO_FACE', 'no face found in the photo');
  const others = faces.slice(1).filter((f) => f.box.width >= face.box.width * LIMITS.otherFaceShare);
  if (others.length > 0) refuse('SEVERAL_FACES', `${others.length + 1} faces in the photo; the holder must be alone`);
  const eyes = eyeDistance(face);
  if (eyes < LIMITS.minEyeDistance) {
    refuse('FACE_TOO_SMALL', `face too small: ${eyes.toFixed(0)} px between the eyes, at least ${LIMITS.minEyeDistance} needed`);
  }
  const roll = rollDegrees(face);
  if (Math.abs(roll) > LIMITS.maxRollDegrees) refuse('POSE', `head tilted ${roll.toFixed(0)}° (at most ${LIMITS.maxRollDegrees}°)`);
  const yaw = yawRatio(face);
  if (Math.abs(yaw) > LIMITS.maxYawRatio) {
    refuse('POSE', `head turned to ${yaw > 0 ? 'their left' : 'their right'} (yaw about ${Math.round((Math.asin(yaw) * 180) / Math.PI)}°); the face must look at the camera`);
  }
  return face;
}

export function eyeDistance(face: DetectedFace): number {
  return Math.hypot(face.leftEye.x - face.rightEye.x, face.leftEye.y - face.rightEye.y);
}

/** Angle of the line from the right eye (image left) to the left eye; positive: the image's right side lower. */
export function rollDegrees(face: DetectedFace): number {
  return (Math.atan2(face.leftEye.y - face.rightEye.y, face.leftEye.x - face.rightEye.x) * 180) / Math.PI;
}

function yawRatio(face: DetectedFace): number {
  const right = Math.hypot(face.noseTip.x - face.rightCheek.x, face.noseTip.y - face.rightCheek.y);
  const left = Math.hypot(face.noseTip.x - face.leftCheek.x, face.noseTip.y - face.leftCheek.y);
  return (right - left) / (right + left);
}

export interface Grey {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface FaceMeasures {
  readonly meanLuma: number;
  readonly clippedShare: number;
  readonly sharpness: number;
}

/** Brightness, clipping and sharpness (Laplacian spread) of a grey face patch. */
export function measureFace(patch: Grey): FaceMeasures {
  const { data, width, height } = patch;
  let sum = 0;
  let clipped = 0;
  for (const v of data) {
    sum += v;
    if (v >= 250 || v <= 5) clipped++;
  }
  let lapSum = 0;
  let lapSq = 0;
  let n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const lap = 4 * data[i]! - data[i - 1]! - data[i + 1]! - data[i - width]! - data[i + width]!;
      lapSum += lap;
      lapSq += lap * lap;
      n++;
    }
  }
  const lapMean = lapSum / Math.max(1, n);
  const meanLuma = sum / Math.max(1, data.length);
  let lumaSq = 0;
  for (const v of data) lumaSq += (v - meanLuma) ** 2;
  // Edge strength relative to the patch's contrast, so that a dim but sharp face is not called blurred.
  const contrast = Math.max(8, Math.sqrt(lumaSq / Math.max(1, data.length)));
  return Object.freeze({
    meanLuma,
    clippedShare: clipped / Math.max(1, data.length),
    sharpness: Math.sqrt(Math.max(0, lapSq / Math.max(1, n) - lapMean * lapMean)) / contrast,
  });
}

export function judgeFacePatch(patch: Grey): FaceMeasures {
  const m = measureFace(patch);
  if (m.meanLuma < LIMITS.minFaceLuma) refuse('FACE_TOO_DARK', `face too dark (mean brightness ${m.meanLuma.toFixed(0)}/255 on the face)`);
  if (m.meanLuma > LIMITS.maxFaceLuma || m.clippedShare > LIMITS.maxFaceClipped) {
    refuse('FACE_OVEREXPOSED', `face overexposed (mean ${m.meanLuma.toFixed(0)}/255, ${(m.clippedShare * 100).toFixed(0)} % clipped on the face)`);
  }
  if (m.sharpness < LIMITS.minFaceSharpness) refuse('BLURRED', `face blurred (sharpness ${m.sharpness.toFixed(2)} on the face)`);
  return m;
}

/**
 * The portrait's background where ICAO wants it plain: both upper corners beside the head and a
 * strip above it (fractions of the portrait: [left, top, right, bottom]).
 */
export const BACKGROUND_ZONES: readonly (readonly [number, number, number, number])[] = Object.freeze([
  [0, 0, 0.1, 0.22],
  [0.9, 0, 1, 0.22],
  [0.25, 0, 0.75, 0.04],
]);

/**
 * `portrait`: the portrait's luma, shrunk so that fine texture and JPEG noise do not count. Robust
 * statistics (median, interquartile range): a corner of a flag or a strand of hair in a zone does not
 * make the background busy, a patterned wall or a room behind the head does.
 */
export function judgeBackground(portrait: Grey): void {
  const medians: number[] = [];
  for (const [l, t, r, b] of BACKGROUND_ZONES) {
    const x0 = Math.floor(l * portrait.width);
    const x1 = Math.max(x0 + 1, Math.floor(r * portrait.width));
    const y0 = Math.floor(t * portrait.height);
    const y1 = Math.max(y0 + 1, Math.floor(b * portrait.height));
    const values: number[] = [];
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) values.push(portrait.data[y * portrait.width + x]!);
    values.sort((p, q) => p - q);
    const at = (f: number): number => values[Math.min(values.length - 1, Math.floor(f * values.length))]!;
    const spread = at(0.75) - at(0.25);
    if (spread > LIMITS.maxBackgroundSpread) {
      refuse('BACKGROUND_NOT_UNIFORM', `background not plain (brightness varies by ${spread} beside or above the head)`);
    }
    medians.push(at(0.5));
  }
  const step = Math.max(...medians) - Math.min(...medians);
  if (step > LIMITS.maxBackgroundStep) refuse('BACKGROUND_NOT_UNIFORM', `background not uniform (brightness differs by ${step} around the head)`);
}
