import { UserError } from '../../errors.js';

/** `tacet worker`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet worker is not implemented yet');
}
