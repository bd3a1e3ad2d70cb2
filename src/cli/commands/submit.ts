import { UserError } from '../../errors.js';

/** `tacet submit`: not implemented yet; says so plainly instead of pretending. */
export async function run(): Promise<number> {
  throw new UserError('tacet submit is not implemented yet');
}
