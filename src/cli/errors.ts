// Errors the user can fix by changing the command line: printed as one line, exit 3.
export class UsageError extends Error {
  override name = 'UsageError';
}
