const kept = new WeakSet<object>();

/** Whether an answer is one perSnapshot keeps, handed out unchanged to every call until the snapshot changes. */
export function isKeptAnswer(answer: unknown): boolean {
  return typeof answer === 'object' && answer !== null && kept.has(answer);
}

/**
 * Keeps a tool's answer for as long as the snapshot it was built from is the latest. For a tool whose answer is a
 * function of the snapshot and its arguments only (no clock, no I/O), a call against an unchanged snapshot
 * returns the same answer without rebuilding it: under a steady stream of calls the snapshot changes at most
 * once per published tick, so nearly every call is a lookup. Snapshots are immutable and replaced, never edited,
 * so identity is the version; only the latest snapshot's answers are kept. Callers never mutate an answer.
 */
export function perSnapshot<S extends object, A, R>(build: (snapshot: S, args: A) => R, keyOf: (args: A) => string) {
  let latest: S | undefined;
  let answers = new Map<string, R>();
  return (snapshot: S, args: A): R => {
    if (snapshot !== latest) {
      latest = snapshot;
      answers = new Map();
    }
    const key = keyOf(args);
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = build(snapshot, args);
      answers.set(key, answer);
      if (typeof answer === 'object' && answer !== null) kept.add(answer);
    }
    return answer;
  };
}
