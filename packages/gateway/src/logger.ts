/** Where the gateway reports failures clients only see as a generic 500. */
export interface Logger {
  error(message: string, detail?: unknown): void;
}

export const consoleLogger: Logger = {
  error: (message, detail) => console.error(message, detail),
};
