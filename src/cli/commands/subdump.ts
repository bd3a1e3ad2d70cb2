import { UserError } from '../../errors.js';

/** `tacet subdump`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet subdump is not implemented yet');
}
