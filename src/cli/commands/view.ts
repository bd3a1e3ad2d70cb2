import { UserError } from '../../errors.js';

/** `tacet view`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet view is not implemented yet');
}
