/** Where the uapi commands write and how they set the exit code (process, or captured for tests). */
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  /** Sets the exit code of this run; a later call keeps the larger code. */
  exit(code: number): void;
}

export const EXIT = { OK: 0, ERRNO: 1, USAGE: 2, BAD_INPUT: 4 } as const;

export const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  exit: (code) => {
    process.exitCode = Math.max(Number(process.exitCode ?? 0), code);
  },
};
