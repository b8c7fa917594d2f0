-- One row per customer snapshot: did the customer churn within `horizon_days` after the snapshot date?
-- Only events after the snapshot decide the label. A snapshot whose horizon is not yet fully observed is
-- unlabelled (null), never "stayed": for contractual churn the grace period must also have passed.
{% set cutoff_lag = var('grace_days') if var('churn_definition') == 'contractual' else 0 %}

with window_ as (select * from {{ ref('int_data_window') }})

select
    s.customer_id,
    s.snapshot_date,
    s.snapshot_date + {{ var('horizon_days') }} <= w.as_of_date - {{ cutoff_lag }} as is_labelled,
    case
        when s.snapshot_date + {{ var('horizon_days') }} <= w.as_of_date - {{ cutoff_lag }}
            then coalesce(s.churned_at <= s.snapshot_date + {{ var('horizon_days') }}, false)
    end as churned_within_horizon,
    case
        when
            s.churned_at <= s.snapshot_date + {{ var('horizon_days') }}
            and s.snapshot_date + {{ var('horizon_days') }} <= w.as_of_date - {{ cutoff_lag }}
            then s.churn_type
    end as churn_type,
    {{ var('horizon_days') }} as horizon_days
from {{ ref('int_customer_snapshots') }} as s
cross join window_ as w
