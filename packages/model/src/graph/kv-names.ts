/** Names of the per-layer KV inputs and outputs of a decoder graph. */
export const pastKeyName = (layer: number) => `past_key_${layer}`;
export const pastValueName = (layer: number) => `past_value_${layer}`;
export const presentKeyName = (layer: number) => `present_key_${layer}`;
export const presentValueName = (layer: number) => `present_value_${layer}`;
