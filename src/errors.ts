/** Bad input from the user: a wrong option, value, expression or file. Printed as one line. */
export class UserError extends Error {
  override name = 'UserError';
}

/** Media that cannot be opened, decoded or written. Printed as one line. */
export class MediaError extends Error {
  override name = 'MediaError';
}

/** Thrown when the user interrupted the work (Ctrl-C); the CLI exits 130. */
export class CancelledError extends Error {
  override name = 'CancelledError';
}
