import type { ModelDtype } from '../hf/config';
import type { DataTypeName } from './onnx-builder';

/**
 * The precision a graph keeps its weights and activations in. Inputs stay int64 and the
 * logits leave as float32 whatever it is; norms accumulate in float32 (stash_type 1).
 */
export type ComputeDtype = ModelDtype;

/** What a user may ask for: `auto` means the checkpoint's dtype on CUDA and float32 on the CPU. */
export const DTYPE_CHOICES = ['auto', 'float16', 'bfloat16', 'float32'] as const;
export type DtypeChoice = (typeof DTYPE_CHOICES)[number];

export function isDtypeChoice(value: string): value is DtypeChoice {
  return (DTYPE_CHOICES as readonly string[]).includes(value);
}

/** The ONNX element type of tensors kept in `dtype`. */
export function elementType(dtype: ComputeDtype): DataTypeName {
  return dtype === 'float32' ? 'float' : dtype;
}

/** The most negative finite value of `dtype`: what an additive mask adds to a padding key's score. */
export function lowestValue(dtype: ComputeDtype): number {
  if (dtype === 'float16') return -65504;
  if (dtype === 'bfloat16') return -3.3895313892515355e38;
  return -3.4028234663852886e38;
}

/**
 * float32 values as `dtype` stores them: the same array for float32, otherwise their 16-bit
 * patterns (rounded to nearest even) in a new Uint16Array.
 */
export function encodeValues(values: Float32Array, dtype: ComputeDtype): Float32Array | Uint16Array {
  if (dtype === 'float32') return values;
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  if (dtype === 'bfloat16') {
    for (let i = 0; i < bits.length; i++) out[i] = float32BitsToBfloat16Bits(bits[i]!);
  } else {
    for (let i = 0; i < bits.length; i++) out[i] = float32BitsToFloat16Bits(bits[i]!);
  }
  return out;
}

/** IEEE 754 binary32 bit pattern → bfloat16, rounding to nearest even; NaN stays a quiet NaN. */
export function float32BitsToBfloat16Bits(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits >>> 0) + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/**
 * IEEE 754 binary32 bit pattern → binary16, rounding to nearest even: values beyond the half
 * range become ±infinity, tiny ones subnormals or ±0; NaN stays a quiet NaN.
 */
export function float32BitsToFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const abs = bits & 0x7fffffff;
  if (abs >= 0x7f800000) return sign | (abs > 0x7f800000 ? 0x7e00 : 0x7c00);
  // 65520 and above round to infinity.
  if (abs >= 0x477ff000) return sign | 0x7c00;
  if (abs >= 0x38800000) {
    // Normal: rebias the exponent (127 → 15) and round the 13 dropped mantissa bits.
    return sign | ((abs - 0x38000000 + 0xfff + ((abs >>> 13) & 1)) >>> 13);
  }
  // Below 2^-25 (and exactly 2^-25, by the even rule) rounds to zero.
  if (abs <= 0x33000000) return sign;
  // Subnormal: the value is m × 2^-24 with m = mantissa (with its implicit bit) >> (126 − exponent).
  const exponent = abs >>> 23;
  const mantissa = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - exponent;
  const half = 1 << (shift - 1);
  const rest = mantissa & ((1 << shift) - 1);
  let m = mantissa >>> shift;
  if (rest > half || (rest === half && (m & 1) === 1)) m++;
  return sign | m;
}
