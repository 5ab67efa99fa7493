import { createInterface, type Interface } from 'node:readline';

/** How `init` talks to the person at the terminal; tests pass scripted answers. */
export interface InitIO {
  /** Questions are asked only on a terminal (and without --yes). */
  readonly isTTY: boolean;
  /** The answer, trimmed; undefined at the end of input. Rejects with PromptInterrupted on Ctrl-C. */
  ask(question: string): Promise<string | undefined>;
  /** Releases the terminal; called once when the questions are over. */
  close(): void;
}

/** Ctrl-C at a question. */
export class PromptInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'PromptInterrupted';
  }
}

/**
 * Questions on stderr, answers from stdin, through one readline interface for the whole session
 * (created on the first question, so that `init --yes` never touches the terminal).
 */
export function terminalIO(): InitIO {
  let rl: Interface | undefined;
  let pending: { resolve: (answer: string | undefined) => void; reject: (error: Error) => void } | undefined;
  let ended = false;
  const settle = (how: (p: NonNullable<typeof pending>) => void) => {
    const p = pending;
    pending = undefined;
    if (p) how(p);
  };
  const open = (): Interface => {
    const created = createInterface({ input: process.stdin, output: process.stderr });
    created.on('close', () => {
      ended = true;
      settle((p) => p.resolve(undefined));
    });
    created.on('SIGINT', () => {
      settle((p) => p.reject(new PromptInterrupted()));
      created.close();
    });
    return created;
  };
  return {
    get isTTY() {
      return Boolean(process.stdin.isTTY);
    },
    ask(question) {
      if (ended) return Promise.resolve(undefined);
      rl ??= open();
      const current = rl;
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        current.question(question, (answer) => settle((p) => p.resolve(answer.trim())));
      });
    },
    close() {
      rl?.close();
    },
  };
}
