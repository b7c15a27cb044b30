/**
 * The approval and rollback links: an HTTP API (API Gateway v2) in front of the links function
 * (`handlers/http/links.ts`): `GET|POST /approvals/{id}`, `GET|POST /rollbacks/{id}` and `GET|POST /digests/{id}`. The `$default` stage is
 * throttled (people click these links; nothing else should call them) and writes JSON access logs that name the
 * route, never the path: the id in the path is the capability the link grants.
 *
 * No authorizer: an approver is whoever holds the emailed link (docs/threat-model.md). The link carries an opaque id
 * of at least 128 random bits, GET changes nothing, POST is single-use and protected against cross-site submission.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { HandlerFunction } from './handler-function.ts';

/** Requests per second (steady) and burst for the whole API: far above what people clicking links need. */
export const LINK_THROTTLE = { rateLimit: 5, burstLimit: 20 } as const;

export const LINK_ROUTES = [
  { method: apigwv2.HttpMethod.GET, path: '/approvals/{id}' },
  { method: apigwv2.HttpMethod.POST, path: '/approvals/{id}' },
  { method: apigwv2.HttpMethod.GET, path: '/rollbacks/{id}' },
  { method: apigwv2.HttpMethod.POST, path: '/rollbacks/{id}' },
  { method: apigwv2.HttpMethod.GET, path: '/digests/{id}' },
  { method: apigwv2.HttpMethod.POST, path: '/digests/{id}' },
] as const;

export interface LinksProps {
  logKey: kms.IKey;
  logRetention: logs.RetentionDays;
}

export class Links extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LinksProps) {
    super(scope, id);
    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: 'default-sg-remediation-links',
      description: 'Approval and rollback links of default-sg-remediation',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: LINK_THROTTLE,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            route: '$context.routeKey',
            status: '$context.status',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The links are capability URLs for approvers who have no AWS identity: an opaque id of at least 128 random bits, GET without effect, POST single-use with cross-site checks (handlers/http/links.ts, docs/threat-model.md).',
    });
  }

  /** The base URL of the links (the `$default` stage has no path prefix). */
  get baseUrl(): string {
    return this.api.apiEndpoint;
  }

  /** Routes every link route to the links function. */
  route(fn: HandlerFunction): void {
    const integration = new HttpLambdaIntegration('LinksIntegration', fn.function, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      timeout: Duration.seconds(29),
    });
    for (const { method, path } of LINK_ROUTES) {
      this.api.addRoutes({ path, methods: [method], integration });
    }
  }
}
