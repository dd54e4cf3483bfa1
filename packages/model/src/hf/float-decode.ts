/** Checkpoint dtypes that decode to float32 exactly. */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return (FLOAT_DTYPES as readonly string[]).includes(dtype);
}

/**
 * Decodes little-endian `bytes` of `dtype` into `out` starting at element `outIndex`.
 * Typed-array views read in host order, which is little-endian on every platform Node runs on.
 * `bytes` must start on an even byte offset (a fresh Uint8Array does).
 */
export function decodeFloats(dtype: FloatDtype, bytes: Uint8Array, out: Float32Array, outIndex: number): void {
  if (dtype === 'F32') {
    new Uint8Array(out.buffer, out.byteOffset + outIndex * 4, bytes.length).set(bytes);
    return;
  }
  const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
  const bits = new Uint32Array(out.buffer, out.byteOffset + outIndex * 4, halves.length);
  if (dtype === 'BF16') {
    // bfloat16 is the upper half of a float32.
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i]! << 16;
  } else {
    for (let i = 0; i < halves.length; i++) bits[i] = halfToFloatBits(halves[i]!);
  }
}

/** IEEE 754 binary16 → binary32 bit pattern, exact for zeros, subnormals, infinities and NaN payloads. */
export function halfToFloatBits(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0x1f) return sign | 0x7f800000 | (fraction << 13);
  if (exponent !== 0) return sign | ((exponent + 112) << 23) | (fraction << 13);
  if (fraction === 0) return sign;
  // A subnormal half is normal in float32: shift the leading 1 into the implicit bit.
  let shifted = fraction;
  let biased = 113;
  while ((shifted & 0x400) === 0) {
    shifted <<= 1;
    biased--;
  }
  return sign | (biased << 23) | ((shifted & 0x3ff) << 13);
}
