/** Lets the step loop sleep until something changes instead of polling. A notify with nobody waiting is kept for the next wait. */
export class WakeSignal {
  private notified = false;
  private waiter: (() => void) | null = null;

  wait(): Promise<void> {
    if (this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  notify(): void {
    const waiter = this.waiter;
    if (waiter === null) {
      this.notified = true;
      return;
    }
    this.waiter = null;
    waiter();
  }
}
