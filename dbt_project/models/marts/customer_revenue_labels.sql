-- One row per customer and month-end snapshot whose next 12 months are over by the data's as-of date: the revenue
-- the customer's orders brought in those 12 months, the label of the value model. From the validated orders, so
-- the label drops and de-duplicates exactly the orders the quality gate counts as faulty, like the features do.
with labelled as (
    select
        f.customer_id,
        f.snapshot_date
    from {{ ref('customer_features') }} as f
    cross join {{ ref('int_data_window') }} as w
    where {{ dbt.dateadd('day', 365, 'f.snapshot_date') }} <= w.as_of_date
)

select
    l.customer_id,
    l.snapshot_date,
    coalesce(sum(o.amount), 0) as revenue_next_12m
from labelled as l
left join {{ ref('int_orders_validated') }} as o
    on
        l.customer_id = o.customer_id
        and l.snapshot_date < o.order_date
        and {{ dbt.dateadd('day', 365, 'l.snapshot_date') }} >= o.order_date
group by l.customer_id, l.snapshot_date
