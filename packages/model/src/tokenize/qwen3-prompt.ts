import { codePointLength } from './code-points';

// The prompt of the official Qwen3-Reranker model cards, which vLLM's examples also use.
export const QWEN3_PREFIX =
  '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. ' +
  'Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n';
export const QWEN3_SUFFIX = '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n';
export const QWEN3_DEFAULT_INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query';

export interface Qwen3PromptBody {
  /** The user turn between prefix and suffix. */
  text: string;
  /**
   * Code-point index of the space before the document. Byte-level BPE merges that space into
   * the document's first token, so everything before it is the same for every document.
   */
  documentSpace: number;
}

export function qwen3PromptBody(instruction: string, query: string, document: string): Qwen3PromptBody {
  const head = `<Instruct>: ${instruction}\n<Query>: ${query}\n<Document>:`;
  return { text: `${head} ${document}`, documentSpace: codePointLength(head) };
}
