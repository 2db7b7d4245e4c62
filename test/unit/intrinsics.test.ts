import { describe, expect, test } from "vitest";
import { deployStack } from "../../local/cloudformation/assembly.js";
import { TemplateError } from "../../local/cloudformation/intrinsics.js";

const options = { region: "eu-west-1", endpoint: "http://127.0.0.1:4566" };
const deploy = (template: Parameters<typeof deployStack>[1]) => deployStack("Demo", template, options, () => "/bundle");

describe("a template deployed locally, intrinsic functions resolved as CloudFormation does", () => {
  const stack = deploy({
    Conditions: {
      IsProd: { "Fn::Equals": [{ Ref: "Stage" }, "prod"] },
      NotProd: { "Fn::Not": [{ Condition: "IsProd" }] },
    },
    Parameters: { Stage: { Default: "dev" } },
    Resources: {
      Q: { Type: "AWS::SQS::Queue", Properties: { FifoQueue: true } },
      T: { Type: "AWS::SNS::Topic", Properties: {} },
      S: { Type: "AWS::Kinesis::Stream", Properties: { ShardCount: { "Fn::If": ["IsProd", 8, 2] } } },
      OnlyProd: { Type: "AWS::SQS::Queue", Condition: "IsProd", Properties: {} },
      Table: {
        Type: "AWS::DynamoDB::Table",
        Properties: {
          TableName: {
            "Fn::Join": ["-", [{ Ref: "AWS::StackName" }, "t", { "Fn::Select": [1, { "Fn::Split": [",", "a,b,c"] }] }]],
          },
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        },
      },
    },
    Outputs: {
      QueueUrl: { Value: { Ref: "Q" } },
      QueueArn: { Value: { "Fn::GetAtt": ["Q", "Arn"] } },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own Fn::Sub syntax
      Topic: { Value: { "Fn::Sub": "${T} in ${AWS::Region}/${AWS::AccountId} ${!Literal} ${S.Arn}" } },
      Shards: { Value: { "Fn::If": ["NotProd", "few", "many"] } },
      Gone: { Value: "x", Condition: "IsProd" },
    },
  });

  test("Ref, Fn::GetAtt, Fn::Sub and pseudo-parameters give the local names, ARNs and URLs", () => {
    expect(stack.outputs.QueueUrl).toBe("http://127.0.0.1:4566/000000000000/Demo-Q.fifo");
    expect(stack.outputs.QueueArn).toBe("arn:aws:sqs:eu-west-1:000000000000:Demo-Q.fifo");
    expect(stack.outputs.Topic).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an escaped ${!Literal} stays literal
      "arn:aws:sns:eu-west-1:000000000000:Demo-T in eu-west-1/000000000000 ${Literal} arn:aws:kinesis:eu-west-1:000000000000:stream/Demo-S",
    );
  });

  test("Fn::Join, Fn::Select and Fn::Split; conditions decide resources, properties and outputs", () => {
    expect(stack.byLogicalId("Table").name).toBe("Demo-t-b");
    expect(stack.byLogicalId("S").properties.ShardCount).toBe(2);
    expect(stack.resources.map((r) => r.logicalId)).not.toContain("OnlyProd");
    expect(stack.outputs.Shards).toBe("few");
    expect(stack.outputs).not.toHaveProperty("Gone");
  });

  test("a property the local stack cannot honour stops the deployment with its name", () => {
    expect(() => deploy({ Resources: { Q: { Type: "AWS::SQS::Queue", Properties: { Bogus: 1 } } } })).toThrow(
      /Q \(AWS::SQS::Queue\) sets Bogus/,
    );
    expect(() =>
      deploy({ Resources: { B: { Type: "AWS::S3::Bucket", Properties: { WebsiteConfiguration: {} } } } }),
    ).toThrow(/B \(AWS::S3::Bucket\) sets WebsiteConfiguration/);
    expect(() => deploy({ Resources: { V: { Type: "AWS::EC2::VPC", Properties: {} } } })).toThrow(TemplateError);
  });

  test("types with no local meaning are named, not created", () => {
    const s = deploy({ Resources: { M: { Type: "AWS::CDK::Metadata", Properties: {} } } });
    expect(Object.keys(s.notEmulated)).toEqual(["AWS::CDK::Metadata"]);
    expect(s.resources).toEqual([]);
  });
});
