/**
 * AWS CodeBuild: a project with a VPC configuration puts each build's interface on the project's groups
 * (https://docs.aws.amazon.com/codebuild/latest/userguide/vpc-support.html); between builds it has no interface, so
 * its projects are listed always (`listedInVpc`). A project moves with UpdateProject vpcConfig (vpcId, subnets and the
 * new groups: the object is replaced as a whole; https://docs.aws.amazon.com/codebuild/latest/APIReference/API_UpdateProject.html);
 * the next build uses them. A build's interface ("AWS CodeBuild …") lives only as long as the build: it is not moved.
 */
import { defineOwner, SETTLED_IN_THE_CALL } from './types.ts';

const PROJECTS = { service: 'codebuild', resource: 'project/*' };

export const codebuild = defineOwner({
  service: 'codebuild',
  title: 'AWS CodeBuild',
  ownerKinds: { codebuild: 'CodeBuild build' },
  // BatchGetProjects, UpdateProject (applied at once).
  resources: {
    'codebuild-project': {
      label: 'CodeBuild project',
      moveAction: 'codebuild:UpdateProject',
      callsPerMove: 2,
      settleSeconds: SETTLED_IN_THE_CALL,
    },
  },
  listedInVpc: true,
  recognise(eni) {
    if (!(eni.Description ?? '').startsWith('AWS CodeBuild')) return undefined;
    // A running build's interface: the build keeps it until it ends, and the next build takes the project's groups.
    return {
      kind: 'codebuild',
      label: 'CodeBuild build',
      unmovable:
        'a build keeps the groups it started with until it ends (wait for it to finish, then run again: its project is moved for the next build)',
    };
  },
  errors: { notFound: ['ResourceNotFoundException'], busy: [] },
  iam: {
    readOnAny: ['codebuild:ListProjects'],
    reads: [{ sid: 'ReadCodeBuildProjects', actions: ['codebuild:BatchGetProjects'], resources: [PROJECTS] }],
    moveOnAny: [],
    moves: [{ sid: 'MoveCodeBuildProjects', actions: ['codebuild:UpdateProject'], resources: [PROJECTS] }],
  },
  // CodeBuild publishes no rate for UpdateProject: assumed, a burst of 5 and 1 per second.
  rateLimit: {
    key: 'codebuild:api',
    capacity: 5,
    refillPerSecond: 1,
    source: 'assumed: no published API rate (https://docs.aws.amazon.com/codebuild/latest/userguide/limits.html)',
    documented: false,
  },
});
