-- One row per customer snapshot with the product-usage signals: how much, how broad, and the trend against the
-- three months before the last one.
{{ config(**snapshot_increment_config()) }}
{% set measures = {'logins': 'coalesce(logins, 0)', 'active_days': '1',
                   'features_used': 'coalesce(features_used, 0)', 'active_users': 'coalesce(active_users, 0)',
                   'page_views': 'coalesce(page_views, 0)', 'downloads': 'coalesce(downloads, 0)'} %}

with snapshots as (
    {{ snapshots_to_build() }}
),

running as (
    {{ running_totals(ref('int_usage_validated'), 'activity_date', measures) }}
),

totals as (
    {{ totals_as_of('snapshots', 'running', measures, [0, 30, 120]) }}
)

select
    s.customer_id,
    s.snapshot_date,
    {{ window_sum('logins', 30) }} as logins_30d,
    case
        when {{ fully_observed(120) }}
            then {{ window_sum('logins', 30) }} / nullif({{ window_sum('logins', 120, 30) }} / 3.0, 0)
    end as login_trend,
    {{ window_sum('active_days', 30) }} as active_days_30d,
    {{ window_sum('features_used', 30) }} / nullif({{ window_sum('active_days', 30) }}, 0) as features_used_30d,
    case
        when {{ fully_observed(120) }}
            then
                ({{ window_sum('features_used', 30) }} / nullif({{ window_sum('active_days', 30) }}, 0))
                / nullif(
                    {{ window_sum('features_used', 120, 30) }} / nullif({{ window_sum('active_days', 120, 30) }}, 0), 0
                )
    end as features_used_trend,
    {{ window_sum('active_users', 30) }} / nullif({{ window_sum('active_days', 30) }}, 0) as active_users_30d,
    {{ window_sum('page_views', 30) }} as page_views_30d,
    {{ window_sum('downloads', 30) }} as downloads_30d,
    {{ dbt.datediff('s.last_event_date', 's.snapshot_date', 'day') }} as days_since_last_usage,
    s.last_event_date as last_usage_date
from totals as s
cross join {{ ref('int_data_window') }} as w
where exists (select 1 from {{ ref('int_usage_validated') }})
