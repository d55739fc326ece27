/**
 * Runs `task` every `intervalMs`, never two at once (a slow run makes the next tick skip), without
 * keeping the process alive; errors go to `onError`. Returns the function that stops it.
 */
export function every(
  intervalMs: number,
  task: () => Promise<unknown>,
  onError: (e: unknown) => void,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
