/**
 * What is left of one step's token budget and pair cap. The first pair of a step always fits the
 * token budget, so a pair longer than the budget runs alone instead of never.
 */
export class StepBudget {
  private hasPairs = false;

  constructor(
    private numTokens: number,
    private numPairs: number,
  ) {}

  fits(numTokens: number, numPairs: number): boolean {
    return numPairs <= this.numPairs && (numTokens <= this.numTokens || !this.hasPairs);
  }

  charge(numTokens: number, numPairs: number): void {
    this.numTokens -= numTokens;
    this.numPairs -= numPairs;
    if (numPairs > 0) this.hasPairs = true;
  }
}
