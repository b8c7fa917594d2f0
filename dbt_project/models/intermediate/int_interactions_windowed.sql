-- One row per customer snapshot with the communication signals: how often we talk with the customer compared
-- with the same period a year earlier, and how fast they reply.
{{ config(**snapshot_increment_config()) }}
{% set measures = {'interactions_n': '1', 'response_hours': 'coalesce(response_hours, 0)',
                   'responses_n': 'case when response_hours is not null then 1 else 0 end'} %}

with snapshots as (
    {{ snapshots_to_build() }}
),

running as (
    {{ running_totals(ref('int_interactions_validated'), 'occurred_at', measures) }}
),

totals as (
    {{ totals_as_of('snapshots', 'running', measures, [0, 30, 90, 180, 365, 455]) }}
)

select
    s.customer_id,
    s.snapshot_date,
    {{ window_sum('interactions_n', 30) }} as interactions_30d,
    {{ window_sum('interactions_n', 90) }} as interactions_90d,
    {{ window_sum('interactions_n', 180) }} as interactions_180d,
    {{ window_sum('interactions_n', 365) }} as interactions_365d,
    case
        when {{ fully_observed(455) }}
            then {{ window_sum('interactions_n', 90) }} / nullif({{ window_sum('interactions_n', 455, 365) }}, 0)
    end as interactions_yoy_ratio,
    {{ window_sum('response_hours', 90) }} / nullif({{ window_sum('responses_n', 90) }}, 0) as response_hours_avg_90d,
    case
        when {{ fully_observed(455) }}
            then
                ({{ window_sum('response_hours', 90) }} / nullif({{ window_sum('responses_n', 90) }}, 0))
                / nullif(
                    {{ window_sum('response_hours', 455, 90) }} / nullif({{ window_sum('responses_n', 455, 90) }}, 0),
                    0
                )
    end as response_time_trend
from totals as s
cross join {{ ref('int_data_window') }} as w
where exists (select 1 from {{ ref('int_interactions_validated') }})
