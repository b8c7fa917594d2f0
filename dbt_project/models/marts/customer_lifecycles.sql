-- One row per customer: when they became a customer and when (and how) they churned, for the review's churn and
-- retention rates by month.
select
    customer_id,
    created_at,
    churned_at,
    churn_type
from {{ ref('int_customer_lifecycles') }}
