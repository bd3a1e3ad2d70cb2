import { UserError } from '../../errors.js';

/** `tacet batch`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet batch is not implemented yet');
}
