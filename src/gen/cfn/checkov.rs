//! The checkov checks rolegen's template does not pass on purpose, each with the reason a
//! security reviewer reads in the resource's `Metadata` (`checkov.skip`). A skip is written
//! only on the resources the reason is true of (a public method, a stage without logs), never
//! for the whole template, so checkov still checks everything else on every resource.

pub type Skip = (&'static str, &'static str);

/// rolegen's Lambda functions (the authorizer, the pre-token trigger).
pub const FUNCTION: &[Skip] = &[
    (
        "CKV_AWS_116",
        "Invoked synchronously (by API Gateway as an authorizer, or by Cognito as a trigger); a dead-letter queue applies only to asynchronous invocations.",
    ),
    (
        "CKV_AWS_117",
        "Calls only public AWS endpoints (Cognito's JWKS, Verified Permissions); a VPC would add NAT cost and cold-start time and isolate nothing.",
    ),
    (
        "CKV_AWS_115",
        "Every sign-in or API request waits for this function: a reserved-concurrency cap would turn load into failed sign-ins and 500s; API Gateway's throttling bounds the load instead.",
    ),
];

/// A function with environment variables.
pub const FUNCTION_ENV: Skip = (
    "CKV_AWS_173",
    "The variables hold identifiers only (user pool, app client, policy store), no secret; Lambda encrypts them at rest with its own key.",
);

/// A method of a route roles.yaml declares `public`.
pub const PUBLIC_METHOD: Skip = (
    "CKV_AWS_59",
    "Public on purpose: roles.yaml declares this route `public` (no authorization).",
);

/// The access log group.
pub const LOG_GROUP_KMS: Skip = (
    "CKV_AWS_158",
    "CloudWatch Logs encrypts log data at rest by default; a customer-managed KMS key would add a key and key policy per stack for no change in who can read the logs (IAM decides).",
);

pub const STAGE_CACHE: Skip = (
    "CKV_AWS_120",
    "No response cache: a cached answer could be served to another caller of the same route (`GET /me`), and the cache is billed by the hour.",
);
pub const STAGE_NO_LOGS: Skip = (
    "CKV_AWS_76",
    "Access logs turned off in roles.yaml (`api.logging: false`).",
);
pub const STAGE_NO_TRACING: Skip = (
    "CKV_AWS_73",
    "X-Ray tracing turned off in roles.yaml (`api.tracing: false`).",
);

/// The function that puts the OpenAPI document into the API (`api.definition: package`).
pub const API_BODY_FUNCTION: &[Skip] = &[
    (
        "CKV_AWS_116",
        "Runs only as this stack's custom resource, with retries off: a failed run answers CloudFormation, which rolls the deployment back, and a kept request could only replay a stale deployment.",
    ),
    (
        "CKV_AWS_117",
        "Calls only API Gateway's public API and CloudFormation's response URL; a VPC would need endpoints or a NAT gateway and would isolate nothing.",
    ),
    (
        "CKV_AWS_115",
        "Runs once per deployment of this stack; reserved concurrency would take capacity from the account's other functions for nothing.",
    ),
];
