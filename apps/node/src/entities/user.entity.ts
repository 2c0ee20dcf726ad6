import { Field, ReplicatedEntity } from '@clusterlite/registry';
import { IsEmail, Length } from 'class-validator';

/** The original ClusterLite's sample entity. */
@ReplicatedEntity('users', {
  description: 'People, as in the original ClusterLite',
  history: true,
})
export class User {
  @Field({ description: 'Full name', example: 'John Doe', maxLength: 200 })
  @Length(1, 200)
  name: string;

  @Field({
    description: 'Email address',
    format: 'email',
    example: 'john@example.com',
    index: true,
  })
  @IsEmail()
  email: string;
}
