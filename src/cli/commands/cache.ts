import { UserError } from '../../errors.js';

/** `tacet cache`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet cache is not implemented yet');
}
