import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ALERT_MARK_PREFIX, TABLE_SHAPE, keyItemKey, teamItemKey } from '../../lib/store/table';

/**
 * The gateway's one DynamoDB table, shaped by `TABLE_SHAPE` (the same shape the stores and the
 * local dynalite use). It holds keys and spend, so it outlives the stack.
 */
export class GatewayTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const { partitionKey, sortKey, index, ttlAttribute } = TABLE_SHAPE;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: ttlAttribute,
      // Gateway keys and spend records must survive a `cdk destroy` or a stack replacement.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
      sortKey: { name: index.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }

  get tableName(): string {
    return this.table.tableName;
  }

  /**
   * Lets `grantee` read and write single items and query the table and its index: everything the
   * stores do. No Scan, no DeleteItem, no table management (`grantReadWriteData` would add them).
   */
  grantItemReadWrite(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        // The index by name, not `index/*`: nothing broader than what exists.
        resources: [this.table.tableArn, `${this.table.tableArn}/index/${TABLE_SHAPE.index.name}`],
      }),
    );
  }

  /**
   * Lets `grantee` delete team items and nothing else (`dynamodb:LeadingKeys` holds the partition
   * key to `TEAM#…`): the admin API's `DELETE /admin/teams/{id}`. Keys are revoked, never deleted (but see `grantKeyItemDelete`).
   */
  grantTeamDelete(grantee: IGrantable): void {
    this.#grantDeleteUnder(grantee, teamItemKey('').PK);
  }

  /**
   * Lets `grantee` delete key items and nothing else (`KEY#…`): a rotation moves a key's record to
   * its new secret's hash and removes what is left under an old one (the record, with no grace; a
   * pointer whose grace a newer rotation ended). Keys themselves are still revoked, never deleted.
   */
  grantKeyItemDelete(grantee: IGrantable): void {
    this.#grantDeleteUnder(grantee, keyItemKey('').PK);
  }

  /** DeleteItem on items whose partition key starts with `prefix`, and no others. */
  #grantDeleteUnder(grantee: IGrantable, prefix: string): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:DeleteItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } },
      }),
    );
  }

  /**
   * Lets `grantee` query the table and its index and put whole items: the roll-up job, which reads
   * keys and usage records and writes roll-ups, and changes nothing else.
   */
  grantQueryAndPut(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:Query', 'dynamodb:PutItem'], resources: [this.table.tableArn, `${this.table.tableArn}/index/${TABLE_SHAPE.index.name}`] }),
    );
  }

  /**
   * Lets `grantee` read items in batches of up to 100: spend counters for the admin API's budget
   * status, one call per page of keys or teams instead of one per item.
   */
  grantBatchRead(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:BatchGetItem'], resources: [this.table.tableArn] }));
  }

  /**
   * Lets `grantee` do what the budget alerts job does and no more: list keys and teams (Query),
   * read spend counters and alert marks (BatchGetItem), and update alert marks alone
   * (`dynamodb:LeadingKeys` holds UpdateItem to `ALERT#…` items).
   */
  grantBudgetWatch(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [this.table.tableArn, `${this.table.tableArn}/index/${TABLE_SHAPE.index.name}`] }));
    this.grantBatchRead(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [this.table.tableArn], conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ALERT_MARK_PREFIX}*`] } } }),
    );
  }

  /**
   * Lets `grantee` write items in batches of up to 25: the usage recorder's one write per batch
   * of requests. (IAM cannot split BatchWriteItem's put from its delete requests.)
   */
  grantBatchWrite(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:BatchWriteItem'], resources: [this.table.tableArn] }));
  }
}
