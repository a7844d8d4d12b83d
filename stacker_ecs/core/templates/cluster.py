"""The cluster stack: one ECS cluster per environment, with its capacity, roles and log group.

Resources (logical IDs from :mod:`stacker_ecs.core.naming`): ``Cluster``, ``LogGroup``,
``ContainerSecurityGroup``, ``SharedLoadBalancerSecurityGroup`` (its members: the environment's load
balancers; no inbound rule, egress only to the containers), ``ContainerIngressFromLoadBalancer`` (the
container group's one inbound rule, from the shared group: adding an app adds no rule here),
``CapacityProviderAssociations``; with EC2 capacity also
``InstanceRole``, ``InstanceProfile``, ``LaunchTemplate``, ``AutoScalingGroup`` and
``CapacityProvider`` (managed scaling: the modern form of "autoscaling on reservation").
"""

from __future__ import annotations

from typing import Any, Literal

from awacs import logs as logs_actions
from awacs.aws import Allow, PolicyDocument, Principal, Statement
from awacs.sts import AssumeRole
from pydantic import Field, field_validator
from troposphere import Base64, GetAtt, Join, Parameter, Ref, Sub, Template, autoscaling, dynamodb, ec2, ecs, iam, logs

from stacker_ecs.core import contract, naming
from stacker_ecs.core.model import Spec
from stacker_ecs.core.templates.common import add_output, base_tags, skip_checks, split_list, tags
from stacker_ecs.core.validation import check_name

ECS_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
AMI_PARAMETER = "EcsAmiId"


class ClusterSpec(Spec):
    """Settings of the cluster stack (the variables of the ``Cluster`` blueprint)."""

    environment: str
    """Environment name, e.g. ``dev``: used in tags and resource names."""
    vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]+$")
    """VPC the container instances and tasks run in."""
    subnets: list[str] = Field(min_length=1)
    """Private subnets for container instances and Fargate tasks (a list, or ``a,b``)."""
    capacity: Literal["ec2", "fargate"] = "ec2"
    """Default: ``ec2``; an Auto Scaling group of spot and on-demand instances behind a capacity
    provider. ``fargate`` creates no instances and uses FARGATE/FARGATE_SPOT."""
    instance_types: list[str] = Field(default=["t3.medium", "t3a.medium", "m5.large"], min_length=1)
    """Default: three similar types, so spot capacity is found in more pools."""
    min_size: int = Field(default=0, ge=0)
    """Default: 0; managed scaling adds instances when tasks need them."""
    max_size: int = Field(default=10, ge=1)
    """Default: 10 instances at most."""
    on_demand_base_capacity: int = Field(default=1, ge=0)
    """Default: 1; the first instance is on-demand, so one is always there."""
    on_demand_percentage_above_base: int = Field(default=0, ge=0, le=100)
    """Default: 0; everything above the base is spot."""
    target_capacity_percent: int = Field(default=100, ge=1, le=100)
    """Default: 100; managed scaling keeps instances fully reserved, without spare."""
    image_id: str = ECS_AMI_PARAMETER
    """Default: the public SSM parameter of the ECS-optimised Amazon Linux 2023 AMI; an
    ``ami-...`` id pins an image instead."""
    root_volume_size_gib: int = Field(default=30, ge=30, le=16384)
    """Default: 30 GiB, encrypted."""
    log_retention_days: int = 30
    """Default: 30 days of container logs in the cluster's log group."""
    log_kms_key_arn: str | None = None
    """Default: none; logs are encrypted with CloudWatch Logs' own keys. A KMS key ARN encrypts
    them with that customer-managed key (its policy must allow the logs service)."""
    container_insights: bool = True
    """Default: on; CloudWatch Container Insights metrics for the cluster."""
    container_ports: tuple[int, int] = (1, 65535)
    """Default: every port (dynamic host ports on EC2, any container port on Fargate); the ports the
    environment's load balancers may reach on containers (traffic and health checks)."""

    _check_environment = field_validator("environment")(lambda v: check_name("environment", v))

    @field_validator("container_ports")
    @classmethod
    def _ports(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1] <= 65535:
            raise ValueError(f"{list(value)} is not a port range; give [from, to] with 1 <= from <= to <= 65535")
        return value

    _coerce_subnets = field_validator("subnets", "instance_types", mode="before")(
        lambda v: split_list(v)
    )

    @field_validator("image_id")
    @classmethod
    def _image(cls, value: str) -> str:
        if not (value.startswith("ami-") or value.startswith("/")):
            raise ValueError(f"{value!r} is neither an AMI id nor an SSM parameter path; "
                             f"give 'ami-...' or a path such as {ECS_AMI_PARAMETER}")
        return value

    @property
    def launch_type(self) -> str:
        """Return the ECS launch type version stacks must use on this cluster."""
        return "FARGATE" if self.capacity == "fargate" else "EC2"


def build_cluster(spec: ClusterSpec) -> Template:
    """Return the cluster template for ``spec``."""
    template = Template(Description=contract.CLUSTER_DESCRIPTION.format(environment=spec.environment))
    common = base_tags(spec.environment)
    cluster = template.add_resource(ecs.Cluster(
        naming.CLUSTER,
        ClusterSettings=[ecs.ClusterSetting(
            Name="containerInsights", Value="enabled" if spec.container_insights else "disabled")],
        Tags=tags(common),
    ))
    log_group = logs.LogGroup(
        naming.CLUSTER_LOG_GROUP,
        LogGroupName=Sub("/ecs/${AWS::StackName}"),
        RetentionInDays=spec.log_retention_days,
    )
    if spec.log_kms_key_arn:
        log_group.KmsKeyId = spec.log_kms_key_arn
    else:
        skip_checks(log_group, {"CKV_AWS_158": "encrypted at rest with CloudWatch Logs' own keys; set "
                                               "LogKmsKeyArn for a customer-managed key"})
    template.add_resource(log_group)
    security_group = template.add_resource(ec2.SecurityGroup(
        naming.CONTAINER_SECURITY_GROUP,
        # create-only: a new description would replace the group of every instance and task
        GroupDescription="Container instances and tasks; ingress only from application load balancers",
        VpcId=spec.vpc_id,
        Tags=tags({**common, "Name": f"{spec.environment}-containers"}),
    ))
    shared = _add_load_balancer_access(template, spec, security_group)
    if spec.capacity == "ec2":
        provider = _add_ec2_capacity(template, spec, cluster, security_group)
        strategy = [ecs.CapacityProviderStrategy(CapacityProvider=Ref(provider), Base=0, Weight=1)]
        # Fargate too, for apps whose versions set LaunchType FARGATE (EC2 stays the default).
        providers = [Ref(provider), "FARGATE", "FARGATE_SPOT"]
    else:
        strategy = [
            ecs.CapacityProviderStrategy(CapacityProvider="FARGATE", Base=1, Weight=1),
            ecs.CapacityProviderStrategy(CapacityProvider="FARGATE_SPOT", Weight=3),
        ]
        providers = ["FARGATE", "FARGATE_SPOT"]
    template.add_resource(ecs.ClusterCapacityProviderAssociations(
        naming.CAPACITY_PROVIDER_ASSOCIATIONS,
        Cluster=Ref(cluster),
        CapacityProviders=providers,
        DefaultCapacityProviderStrategy=strategy,
    ))
    table = template.add_resource(_coordination_table(spec))
    _add_outputs(template, spec, cluster, log_group, security_group)
    add_output(template, contract.SHARED_LOAD_BALANCER_SECURITY_GROUP_ID, Ref(shared),
               "Security group every application stack's load balancer carries; the containers admit its members")
    add_output(template, contract.COORDINATION_TABLE_NAME, Ref(table), "DynamoDB table of the apps' leases and records")
    return template


def _add_load_balancer_access(template: Template, spec: ClusterSpec,
                              containers: ec2.SecurityGroup) -> ec2.SecurityGroup:
    """Add the environment's shared load balancer group and the container group's one inbound rule from it.

    A rule whose source is a security group admits every member of it, and a load balancer's egress is the
    union of its groups' egress: so each application stack's load balancer carries this group beside its own
    (inbound from its CIDRs only), and no app adds a rule to the container group (60 inbound rules by default).
    The rule is a resource of its own: inline rules referring to each other would be a circular dependency.
    """
    shared = template.add_resource(ec2.SecurityGroup(
        naming.SHARED_LOAD_BALANCER_SECURITY_GROUP,
        GroupDescription=f"Members: load balancers of {spec.environment}; no inbound, egress only to containers",
        VpcId=spec.vpc_id,
        # Given egress rules replace the default allow-all egress (AWS::EC2::SecurityGroup).
        SecurityGroupEgress=[ec2.SecurityGroupRule(
            IpProtocol="tcp", FromPort=spec.container_ports[0], ToPort=spec.container_ports[1],
            DestinationSecurityGroupId=Ref(containers), Description="To containers only (traffic, health checks)")],
        Tags=tags({**base_tags(spec.environment), "Name": f"{spec.environment}-load-balancers"}),
    ))
    template.add_resource(ec2.SecurityGroupIngress(
        naming.CONTAINER_INGRESS,
        GroupId=Ref(containers),
        IpProtocol="tcp", FromPort=spec.container_ports[0], ToPort=spec.container_ports[1],
        SourceSecurityGroupId=Ref(shared),
        Description=f"From the load balancers of {spec.environment}",
    ))
    return shared


def _coordination_table(spec: ClusterSpec) -> dynamodb.Table:
    """Return the table of per-app leases, canary plans and live records (a few items per app)."""
    table = dynamodb.Table(
        naming.COORDINATION_TABLE,
        TableName=Sub(f"${{AWS::StackName}}-{naming.COORDINATION_SUFFIX}"),
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[dynamodb.AttributeDefinition(AttributeName="pk", AttributeType="S")],
        KeySchema=[dynamodb.KeySchema(AttributeName="pk", KeyType="HASH")],
        PointInTimeRecoverySpecification=dynamodb.PointInTimeRecoverySpecification(
            PointInTimeRecoveryEnabled=True),
        SSESpecification=dynamodb.SSESpecification(SSEEnabled=True),
        Tags=tags(base_tags(spec.environment)),
    )
    return skip_checks(table, {"CKV_AWS_119": "holds only lease holders' names and deployment plans, no "
                                              "customer data; encrypted at rest with a KMS key AWS manages"})


def _add_ec2_capacity(template: Template, spec: ClusterSpec, cluster: ecs.Cluster,
                      security_group: ec2.SecurityGroup) -> ecs.CapacityProvider:
    """Add the instances' role and profile, launch template, Auto Scaling group and capacity provider."""
    role = template.add_resource(build_instance_role())
    profile = template.add_resource(iam.InstanceProfile(naming.INSTANCE_PROFILE, Roles=[Ref(role)]))
    image: Any = spec.image_id
    if image.startswith("/"):
        image = Ref(template.add_parameter(Parameter(
            AMI_PARAMETER, Type="AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", Default=image,
            Description="ECS-optimised AMI, read from this public SSM parameter at deploy time")))
    launch_template = template.add_resource(build_launch_template(spec, cluster, security_group, profile, image))
    group = template.add_resource(build_auto_scaling_group(spec, launch_template))
    return template.add_resource(ecs.CapacityProvider(
        naming.CAPACITY_PROVIDER,
        # ECS refuses names starting with "aws", "ecs" or "fargate", which a generated name
        # (from a stack such as "ecs-dev-cluster") would.
        Name=Sub("cp-${AWS::StackName}"),
        AutoScalingGroupProvider=ecs.AutoScalingGroupProvider(
            AutoScalingGroupArn=Ref(group),
            ManagedScaling=ecs.ManagedScaling(Status="ENABLED", TargetCapacity=spec.target_capacity_percent),
            ManagedTerminationProtection="ENABLED",
            ManagedDraining="ENABLED",
        ),
    ))


def build_instance_role() -> iam.Role:
    """Return the container instances' role: the ECS agent's and SSM's managed policies, logs to the cluster's group."""
    return iam.Role(
        naming.INSTANCE_ROLE,
        AssumeRolePolicyDocument=PolicyDocument(Statement=[Statement(
            Effect=Allow, Action=[AssumeRole], Principal=Principal("Service", "ec2.amazonaws.com"))]),
        ManagedPolicyArns=[
            Sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"),
            Sub("arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"),
        ],
        Policies=[iam.Policy(PolicyName="logs", PolicyDocument=PolicyDocument(Statement=[Statement(
            Effect=Allow,
            Action=[logs_actions.CreateLogStream, logs_actions.PutLogEvents],
            Resource=[GetAtt(naming.CLUSTER_LOG_GROUP, "Arn")],
        )]))],
    )


def build_launch_template(spec: ClusterSpec, cluster: ecs.Cluster, security_group: ec2.SecurityGroup,
                          profile: iam.InstanceProfile, image: Any) -> ec2.LaunchTemplate:
    """Return the instances' launch template: IMDSv2 with hop limit 1, an encrypted gp3 root, joining ``cluster``."""
    user_data = Join("", [
        "#!/bin/bash\n",
        "cat >> /etc/ecs/ecs.config <<'EOF'\n",
        "ECS_CLUSTER=", Ref(cluster), "\n",
        "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true\n",
        "ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance\n",
        "EOF\n",
    ])
    return ec2.LaunchTemplate(naming.LAUNCH_TEMPLATE, LaunchTemplateData=ec2.LaunchTemplateData(
        ImageId=image,
        IamInstanceProfile=ec2.IamInstanceProfile(Arn=GetAtt(profile, "Arn")),
        SecurityGroupIds=[Ref(security_group)],
        MetadataOptions=ec2.MetadataOptions(HttpTokens="required", HttpEndpoint="enabled", HttpPutResponseHopLimit=1),
        BlockDeviceMappings=[ec2.LaunchTemplateBlockDeviceMapping(
            DeviceName="/dev/xvda",
            Ebs=ec2.EBSBlockDevice(VolumeSize=spec.root_volume_size_gib, VolumeType="gp3",
                                   Encrypted=True, DeleteOnTermination=True))],
        Monitoring=ec2.Monitoring(Enabled=True),
        UserData=Base64(user_data),
    ))


def build_auto_scaling_group(spec: ClusterSpec, launch_template: ec2.LaunchTemplate) -> autoscaling.AutoScalingGroup:
    """Return the Auto Scaling group mixing on-demand and spot instances of ``spec.instance_types``."""
    return autoscaling.AutoScalingGroup(
        naming.AUTO_SCALING_GROUP,
        MinSize=str(spec.min_size),
        MaxSize=str(spec.max_size),
        VPCZoneIdentifier=spec.subnets,
        NewInstancesProtectedFromScaleIn=True,
        MixedInstancesPolicy=autoscaling.MixedInstancesPolicy(
            InstancesDistribution=autoscaling.InstancesDistribution(
                OnDemandBaseCapacity=spec.on_demand_base_capacity,
                OnDemandPercentageAboveBaseCapacity=spec.on_demand_percentage_above_base,
                SpotAllocationStrategy="price-capacity-optimized",
            ),
            LaunchTemplate=autoscaling.LaunchTemplate(
                LaunchTemplateSpecification=autoscaling.LaunchTemplateSpecification(
                    LaunchTemplateId=Ref(launch_template),
                    Version=GetAtt(launch_template, "LatestVersionNumber"),
                ),
                Overrides=[autoscaling.LaunchTemplateOverrides(InstanceType=t) for t in spec.instance_types],
            ),
        ),
        Tags=[autoscaling.Tag(k, v, True) for k, v in sorted(
            {**base_tags(spec.environment), "Name": f"{spec.environment}-ecs"}.items())],
    )


def _add_outputs(template: Template, spec: ClusterSpec, cluster: ecs.Cluster, log_group: logs.LogGroup,
                 security_group: ec2.SecurityGroup) -> None:
    # Outputs reference only what every engine (and the emulator) resolves: never the capacity
    # provider or other skipped resources.
    add_output(template, contract.CLUSTER_NAME, Ref(cluster), "ECS cluster name")
    add_output(template, contract.CLUSTER_ARN, GetAtt(cluster, "Arn"), "ECS cluster ARN")
    add_output(template, contract.LAUNCH_TYPE, spec.launch_type, "Launch type of version stacks (EC2 or FARGATE)")
    add_output(template, contract.VPC_ID, spec.vpc_id, "VPC of the cluster")
    add_output(template, contract.SUBNETS, Join(",", spec.subnets), "Subnets of instances and tasks")
    add_output(template, contract.CONTAINER_SECURITY_GROUP_ID, Ref(security_group),
               "Security group of container instances and tasks")
    add_output(template, contract.LOG_GROUP_NAME, Ref(log_group), "Log group for container logs")
    add_output(template, contract.ENVIRONMENT, spec.environment, "Environment name")

