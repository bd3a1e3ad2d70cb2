import { UserError } from '../../errors.js';

/** `tacet desc`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet desc is not implemented yet');
}
