/**
 * Length of `text` in Unicode code points, the unit of the tokenizer's offsets. JavaScript
 * indexes strings in UTF-16 code units, which count a character outside the BMP (an emoji) twice.
 */
export function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}
