/** A failure the user can fix; printed as one sentence, without a stack trace. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/**
 * Resolves when the process is asked to stop (SIGINT, SIGTERM) and the service has stopped, once, cleanly; a
 * second signal exits at once. The handlers are installed when this is called, so call it before printing a
 * ready line: a script that reads that line may send the signal straight away.
 */
export function runUntilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) process.exit(130);
      stopping = true;
      stop().then(resolve, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
