// Exit codes follow the Nagios plugin convention, so a monitoring system can run any keywatch
// command as a check: 0 all is well, 1 something deserves a look, 2 an error or a likely attack,
// 3 keywatch could not tell (including a command line it could not understand).
export const EXIT = {
  ok: 0,
  warning: 1,
  critical: 2,
  unknown: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
