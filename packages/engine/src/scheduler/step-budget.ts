/** What is left of one step's token budget and pair cap. */
export class StepBudget {
  constructor(
    private numTokens: number,
    private numPairs: number,
  ) {}

  fits(numTokens: number, numPairs: number): boolean {
    return numTokens <= this.numTokens && numPairs <= this.numPairs;
  }

  charge(numTokens: number, numPairs: number): void {
    this.numTokens -= numTokens;
    this.numPairs -= numPairs;
  }
}
