import { UserError } from '../../errors.js';

/** `tacet info`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet info is not implemented yet');
}
